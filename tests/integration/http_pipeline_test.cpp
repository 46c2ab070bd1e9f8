// The host's HTTP pipeline, before and around module code: limits, malformed input,
// normalisation, failures inside modules, and the admin API's authentication.
#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sys/stat.h>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <atomic>
#include <vector>

#include "backends.hpp"

using namespace codestats::test;

namespace {

HostProcess& helloHost() {
  // One host for the whole file (these tests do not change module state); stopped at exit.
  static HostProcess h({"--set", "http.max_body_bytes=1024", "--set", "modules=hello", "--set",
                        "modules.hello.artifact=" + fixture("hello_v1")});
  return h;
}

}  // namespace

TEST_CASE("requests are routed after path normalisation, never redirected", "[http]") {
  auto& h = helloHost();
  for (const char* target : {"/hello", "/hello/", "//hello", "/hello//", "/hello?x=1"}) {
    auto r = h.get(target);
    INFO(target);
    CHECK(r.status == 200);
    CHECK(r.body == "v1");
  }
  auto p = h.get("/hello/params/one/two/three");
  CHECK(p.body == R"({"a":"one","rest":"two/three"})");
}

TEST_CASE("unknown paths get 404 and wrong methods 405, as JSON", "[http]") {
  auto& h = helloHost();
  auto r = h.get("/nothing/here");
  CHECK(r.status == 404);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.body == R"({"error":"Not found"})");
  r = h.request("DELETE", "/hello");
  CHECK(r.status == 405);
  CHECK(r.body == R"({"error":"Method not allowed"})");
  CHECK_THAT(r.header("allow"), Catch::Contains("GET"));
}

TEST_CASE("the host's own 404 and 405 are a small page for a browser, JSON for everyone else", "[http][errors]") {
  auto& h = helloHost();  // no module registers a fallback route here
  const std::map<std::string, std::string> browser = {
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}};
  auto r = h.request("GET", "/nothing/here", {}, browser);
  CHECK(r.status == 404);
  CHECK(r.header("content-type") == "text/html; charset=utf-8");
  CHECK_THAT(r.body, Catch::Contains("<h1>Not found</h1>"));
  r = h.request("DELETE", "/hello", {}, browser);
  CHECK(r.status == 405);
  CHECK_THAT(r.header("allow"), Catch::Contains("GET"));
  CHECK_THAT(r.body, Catch::Contains("<h1>Method not allowed</h1>"));
  for (const char* accept : {"*/*", "application/json", "text/html;q=0.5, application/json"}) {
    INFO(accept);
    r = h.request("GET", "/nothing/here", {}, {{"Accept", accept}});
    CHECK(r.status == 404);
    CHECK(r.body == R"({"error":"Not found"})");
  }
}

TEST_CASE("HEAD is answered by GET routes without a body", "[http]") {
  auto& h = helloHost();
  auto r = h.request("HEAD", "/hello");
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  CHECK(r.header("content-length") == "2");
}

TEST_CASE("a body over the limit gets 413 before any module runs", "[http]") {
  auto& h = helloHost();
  SECTION("declared by Content-Length") {
    auto r = h.request("POST", "/hello/echo", std::string(2000, 'x'));
    CHECK(r.status == 413);
    CHECK(r.body == R"({"error":"Request body too large"})");
  }
  SECTION("chunked") {
    std::string chunk(600, 'y');
    char size[16];
    std::snprintf(size, sizeof size, "%zx", chunk.size());
    std::string req = "POST /hello/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    req += std::string(size) + "\r\n" + chunk + "\r\n" + std::string(size) + "\r\n" + chunk + "\r\n0\r\n\r\n";
    auto raw = rawExchange(h.httpPort(), req);
    CHECK_THAT(raw, Catch::StartsWith("HTTP/1.1 413"));
  }
  SECTION("at the limit it is accepted") {
    auto r = h.request("POST", "/hello/echo", std::string(1024, 'z'));
    CHECK(r.status == 200);
    CHECK(r.body.size() == 1024);
  }
}

TEST_CASE("chunked bodies and Expect: 100-continue reach the module intact", "[http]") {
  auto& h = helloHost();
  auto raw =
      rawExchange(h.httpPort(),
                  "POST /hello/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  CHECK_THAT(raw, Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(raw, Catch::EndsWith("hello world"));
  raw = rawExchange(h.httpPort(),
                    "POST /hello/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n"
                    "Connection: close\r\n\r\nping");
  CHECK_THAT(raw, Catch::Contains("HTTP/1.1 200"));
  CHECK_THAT(raw, Catch::EndsWith("ping"));
}

TEST_CASE("malformed HTTP gets 400 and the host keeps serving", "[http]") {
  auto& h = helloHost();
  for (std::string bad : {std::string("GARBAGE\r\n\r\n"), std::string("GET /hello HTTP/9.9 extra\r\n\r\n"),
                          std::string("GET /hello HTTP/1.1\r\nBad Header Line\r\n\r\n"),
                          std::string("GET /a/../b HTTP/1.1\r\nHost: x\r\n\r\n")}) {
    auto raw = rawExchange(h.httpPort(), bad);
    INFO(bad);
    CHECK_THAT(raw, Catch::StartsWith("HTTP/1.") && Catch::Contains(" 400 "));
  }
  CHECK(h.get("/hello").status == 200);
}

TEST_CASE("a handler that throws gets 500 with a request id; the host carries on", "[http]") {
  auto& h = helloHost();
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto r = h.get("/hello/boom");
    REQUIRE(r.status == 500);
    auto body = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
    CHECK(body->getValue<std::string>("error") == "Internal server error");
    const std::string id = r.header("x-request-id");
    CHECK(body->getValue<std::string>("request_id") == id);
    // 8 hex digits of per-process prefix, then the counter in at least 8 hex digits.
    CHECK(id.size() >= 16);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    ids.insert(id);
  }
  CHECK(ids.size() == 20);
  CHECK_THAT(h.log(), Catch::Contains("boom on purpose"));
  CHECK(h.get("/hello").status == 200);
  CHECK(h.alive());
}

TEST_CASE("a quick route that throws fails only its own request", "[http]") {
  auto& h = helloHost();
  // Concurrent clients, so that requests share the route's batch calls.
  std::atomic<int> good{0}, bad{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < 40; ++i) {
        const bool boom = (i + c) % 3 == 0;
        auto r = h.get(boom ? "/hello/quick/boom" : "/hello/quick/x" + std::to_string(i));
        if (boom) {
          const std::string id = r.header("x-request-id");
          bool clean = r.status == 500 && r.header("x-partial").empty() &&
                       r.body == R"({"error":"Internal server error","request_id":")" + id + "\"}";
          (clean ? bad : wrong)++;
        } else {
          (r.status == 200 && r.body == "partial x" + std::to_string(i) ? good : wrong)++;
        }
      }
    });
  for (auto& t : clients) t.join();
  CHECK(wrong == 0);
  CHECK(bad > 0);
  CHECK(good > 0);
  CHECK(bad + good == 320);
  CHECK_THAT(h.log(), Catch::Contains("quick boom on purpose"));
  // Response::fail on an ordinary route (a request thread): the same clean 500.
  auto failed = h.get("/hello/fail");
  CHECK(failed.status == 500);
  CHECK(failed.header("x-partial").empty());
  CHECK(failed.body == R"({"error":"Internal server error","request_id":")" + failed.header("x-request-id") + "\"}");
  CHECK_THAT(h.log(), Catch::Contains("failed on purpose"));
  auto head = h.request("HEAD", "/hello/quick/y");  // HEAD goes through a request thread
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(h.alive());
}

TEST_CASE("a failed module call's 500 is a page for a browser and JSON for API clients, on both lanes",
          "[http][errors]") {
  auto& h = helloHost();
  const std::map<std::string, std::string> browser = {
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}};
  // A throw on a request thread, Response::fail there, a throw in a quick route (the event
  // loop's lane), and the same quick route by HEAD (a request thread waiting for the batch).
  for (const auto& [method, target, why] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/hello/boom", "boom on purpose"},
           {"GET", "/hello/fail", "failed on purpose"},
           {"GET", "/hello/quick/boom", "quick boom on purpose"},
           {"HEAD", "/hello/quick/boom", "quick boom on purpose"}}) {
    INFO(method << " " << target);
    auto page = h.request(method, target, {}, browser);
    CHECK(page.status == 500);
    CHECK(page.header("content-type") == "text/html; charset=utf-8");
    CHECK_THAT(page.header("content-security-policy"), Catch::Contains("default-src 'self'"));
    if (method == "GET") {
      CHECK_THAT(page.body, Catch::Contains("<h1>Internal server error</h1>"));
      CHECK_THAT(page.body, Catch::Contains("<code>" + page.header("x-request-id") + "</code>"));
      CHECK_THAT(page.body, !Catch::Contains(why) && !Catch::Contains("hello"));  // nothing of what failed
      CHECK(page.header("x-partial").empty());                                    // nor what the handler wrote before
    }
    for (const std::map<std::string, std::string>& api :
         {std::map<std::string, std::string>{}, {{"Accept", "*/*"}}, {{"Accept", "application/json"}}}) {
      auto json = h.request(method, target, {}, api);
      CHECK(json.status == 500);
      CHECK(json.header("content-type") == "application/json");
      if (method == "GET")
        CHECK(json.body == R"({"error":"Internal server error","request_id":")" + json.header("x-request-id") + "\"}");
    }
  }
  CHECK(h.alive());
}

TEST_CASE("request headers reach the module case-insensitively", "[http]") {
  auto& h = helloHost();
  auto r = h.request("GET", "/hello/headers?name=x-api-token", "", {{"X-API-Token", "abc"}});
  CHECK(r.status == 200);
  CHECK(r.body == "abc");
  CHECK(h.get("/hello/headers?name=x-missing").status == 404);
}

TEST_CASE("the admin API requires the bearer token", "[http][admin]") {
  auto& h = helloHost();
  CHECK(h.admin("GET", "/admin/modules", "", "").status == 401);
  CHECK(h.admin("GET", "/admin/modules", "", "wrong-token").status == 401);
  CHECK(h.admin("GET", "/admin/modules", "", h.token() + "x").status == 401);
  CHECK(h.admin("POST", "/admin/modules/hello/reload", "{}", "nope").status == 401);
  CHECK(h.admin("GET", "/metrics", "", "").status == 401);
  auto ok = h.admin("GET", "/admin/modules");
  CHECK(ok.status == 200);
  auto metrics = h.admin("GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains("codestats_http_requests_total"));
  // the generated token file is private
  struct stat st {};
  REQUIRE(::stat((h.varDir() + "/admin.token").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("admin API input errors are clear", "[http][admin]") {
  auto& h = helloHost();
  CHECK(h.admin("POST", "/admin/modules/load", "{not json").status == 400);
  CHECK(h.admin("POST", "/admin/modules/load", "{}").status == 400);
  CHECK(h.admin("POST", "/admin/modules/nosuch/reload", "{}").status == 404);
  CHECK(h.admin("GET", "/admin/modules/nosuch").status == 404);
  CHECK(h.admin("GET", "/admin/nothing").status == 404);
}
