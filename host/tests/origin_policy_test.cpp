// Tests for host/src/ws/origin_policy: which pages may open a live-update socket.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "ws/origin_policy.hpp"

using namespace codestats::host;
using Catch::Matchers::Contains;

TEST_CASE("origin policy: host[:port] parsing", "[ws][origin]") {
  using O = OriginHost;
  CHECK(parseOriginHost("https://Example.org") == O{"example.org", 443});
  CHECK(parseOriginHost("http://example.org") == O{"example.org", 80});
  CHECK(parseOriginHost("wss://example.org") == O{"example.org", 443});
  CHECK(parseOriginHost("HTTP://example.org:8080") == O{"example.org", 8080});
  CHECK(parseOriginHost("https://example.org:443/") == O{"example.org", 443});
  CHECK(parseOriginHost("https://codestats.example.org/some/path?q#f") == O{"codestats.example.org", 443});
  CHECK(parseOriginHost("http://127.0.0.1:41234") == O{"127.0.0.1", 41234});
  CHECK(parseOriginHost("http://[::1]:8080") == O{"[::1]", 8080});
  CHECK(parseOriginHost("[::1]") == O{"[::1]", 0});
  CHECK(parseOriginHost("example.org:8443") == O{"example.org", 8443});
  CHECK(parseOriginHost(" example.org ") == O{"example.org", 0});
  // ("null" parses as a host name; allows() refuses an Origin without a scheme)
  for (const char* bad : {"", "ftp://example.org", "chrome-extension://abc", "https://", "https://:80",
                          "https://user@example.org", "example.org:", "example.org:0", "example.org:65536",
                          "example.org:80x", "a:b:c", "[::1", "[::1]x", "exa mple.org", "http://exa\x01mple.org"}) {
    INFO(bad);
    CHECK_FALSE(parseOriginHost(bad));
  }
}

TEST_CASE("origin policy: without base_url the request's Host header names the site", "[ws][origin]") {
  OriginPolicy p("", {});
  // the browser e2e page: http://127.0.0.1:PORT opening a socket to the same host:port
  CHECK(p.allows("http://127.0.0.1:41234", "127.0.0.1:41234"));
  CHECK(p.allows("https://Codestats.Example.org", "codestats.example.org"));
  // nginx's `Host $host` drops the port: a Host without a port matches any port
  CHECK(p.allows("https://codestats.example.org:8443", "codestats.example.org"));
  CHECK_FALSE(p.allows("http://127.0.0.1:41235", "127.0.0.1:41234"));
  CHECK_FALSE(p.allows("https://evil.example", "codestats.example.org"));
  CHECK_FALSE(p.allows("https://codestats.example.org.evil.example", "codestats.example.org"));
  CHECK_FALSE(p.allows("null", "codestats.example.org"));
  CHECK_FALSE(p.allows("", "codestats.example.org"));
  CHECK_FALSE(p.allows("codestats.example.org", "codestats.example.org"));  // not an origin
  CHECK_FALSE(p.allows("https://codestats.example.org/path", "codestats.example.org"));
  CHECK_FALSE(p.allows("https://codestats.example.org", ""));
}

TEST_CASE("origin policy: base_url names the site; the Host header is then not trusted", "[ws][origin]") {
  OriginPolicy p("https://codestats.example.org/", {});
  CHECK(p.allows("https://codestats.example.org", "anything"));
  CHECK(p.allows("https://codestats.example.org:443", "anything"));
  CHECK(p.allows("http://codestats.example.org:443", ""));  // the scheme is not compared, the port is
  CHECK_FALSE(p.allows("http://codestats.example.org", "codestats.example.org"));  // port 80
  CHECK_FALSE(p.allows("https://codestats.example.org:8443", "codestats.example.org:8443"));
  CHECK_FALSE(p.allows("https://evil.example", "evil.example"));  // a forged Host does not help

  OriginPolicy local("http://localhost:8080", {});
  CHECK(local.allows("http://localhost:8080", ""));
  CHECK_FALSE(local.allows("http://localhost:8081", "localhost:8081"));
}

TEST_CASE("origin policy: ws.allowed_origins adds pages", "[ws][origin]") {
  OriginPolicy p("https://codestats.example.org", {"https://app.example.net", "dev.example.net:3000", "example.com"});
  CHECK(p.allows("https://codestats.example.org", ""));
  CHECK(p.allows("https://app.example.net", ""));
  CHECK_FALSE(p.allows("http://app.example.net", ""));  // port 80, entry 443
  CHECK(p.allows("http://dev.example.net:3000", ""));
  CHECK(p.allows("https://dev.example.net:3000", ""));
  CHECK_FALSE(p.allows("http://dev.example.net:3001", ""));
  CHECK(p.allows("http://example.com:1234", ""));  // no scheme, no port: any port
  CHECK_FALSE(p.allows("https://www.example.com", ""));
  CHECK_THAT(p.describe(), Contains("codestats.example.org:443"));
  CHECK_THAT(p.describe(), Contains("ws.allowed_origins (app.example.net:443, dev.example.net:3000, example.com)"));
}

TEST_CASE("origin policy: from the configuration, bad values name their key", "[ws][origin][config]") {
  HostConfig c;
  c.moduleSettings["web"].config["base_url"] = "https://codestats.example.org";
  c.wsAllowedOrigins = {"app.example.net"};
  auto p = OriginPolicy::fromConfig(c);
  CHECK(p->allows("https://codestats.example.org", ""));
  CHECK(p->allows("https://app.example.net", ""));
  CHECK_FALSE(p->allows("https://evil.example", "evil.example"));

  c.moduleSettings["web"].config["base_url"] = "codestats.example.org";
  CHECK_THROWS_WITH(OriginPolicy::fromConfig(c), Contains("modules.web.base_url"));
  c.moduleSettings["web"].config["base_url"] = "";
  c.wsAllowedOrigins = {"ftp://x"};
  CHECK_THROWS_WITH(OriginPolicy::fromConfig(c), Contains("ws.allowed_origins"));
}
