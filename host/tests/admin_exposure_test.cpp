// Tests for host/src/admin/admin_exposure: the admin API starts on loopback with a long
// token only, unless the operator overrides that.
#include <catch2/catch.hpp>

#include "admin/admin_exposure.hpp"
#include "config/config.hpp"
#include "util/random.hpp"

using namespace codestats::host;
using Catch::Matchers::Contains;

TEST_CASE("admin exposure: loopback hosts", "[admin]") {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "0:0:0:0:0:0:0:1", "localhost", "LocalHost",
                        "::ffff:127.0.0.1"}) {
    INFO(h);
    CHECK(isLoopbackHost(h));
  }
  for (const char* h : {"0.0.0.0", "::", "", "10.0.0.1", "192.168.1.1", "128.0.0.1", "203.0.113.7", "2001:db8::1",
                        "example.org", "localhost.example.org", "127.0.0.1.example.org", "::ffff:10.0.0.1"}) {
    INFO(h);
    CHECK_FALSE(isLoopbackHost(h));
  }
}

TEST_CASE("admin exposure: the defaults and a generated token pass", "[admin]") {
  HostConfig c;
  // what Host::run generates into var/admin.token
  CHECK(adminExposureProblem(c, randomBase64Url(32), "var/admin.token").empty());
  CHECK(adminExposureProblem(c, std::string(32, 'x'), "admin.token").empty());
}

TEST_CASE("admin exposure: a non-loopback admin.host is refused unless admin.allow_public", "[admin]") {
  HostConfig c;
  c.adminHost = "0.0.0.0";
  std::string msg = adminExposureProblem(c, std::string(43, 'x'), "admin.token");
  CHECK_THAT(msg, Contains("admin.host: '0.0.0.0' is not a loopback address"));
  CHECK_THAT(msg, Contains("admin.allow_public = true"));
  c.adminAllowPublic = true;
  CHECK(adminExposureProblem(c, std::string(43, 'x'), "admin.token").empty());
}

TEST_CASE("admin exposure: a token under 32 bytes is refused unless admin.allow_short_token", "[admin]") {
  HostConfig c;
  std::string msg = adminExposureProblem(c, std::string(31, 'x'), "/etc/codestatsd/admin.token");
  CHECK_THAT(msg, Contains("admin.token: the admin token from /etc/codestatsd/admin.token is 31 bytes"));
  CHECK_THAT(msg, Contains("at least 32"));
  CHECK_THAT(msg, Contains("admin.allow_short_token = true"));
  c.adminAllowShortToken = true;
  CHECK(adminExposureProblem(c, "short", "admin.token").empty());
  // each override covers its own risk only
  c.adminHost = "0.0.0.0";
  CHECK_THAT(adminExposureProblem(c, "short", "admin.token"), Contains("admin.host"));
}
