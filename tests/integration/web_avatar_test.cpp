// The Gravatar proxy GET /users/:name/avatar (spec §7.11, §10.3; docs/web.md "Avatar")
// against a real local HTTP server standing in for Gravatar, on both backends, with and
// without the cache module; and the profile page's avatar image (§7.10).
#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>

#include <atomic>
#include <thread>
#include <vector>

#include "web_fixture.hpp"
#include "web_http_stub.hpp"

using namespace codestats::test;
using namespace std::chrono_literals;

namespace {

std::string md5(const std::string& s) {
  Poco::MD5Engine e;
  e.update(s);
  return Poco::DigestEngine::digestToHex(e.digest());
}

std::string target(const std::string& hash) { return "/avatar/" + hash + "?default=retro&rating=g&size=200"; }

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\rIHDR fake image bytes", 25);
const std::string kJpeg = std::string("\xff\xd8\xff\xe0", 4) + "a jpeg";

// Three addresses and what the stand-in answers for each: a PNG (slowly, so concurrent
// requests overlap), a JPEG, a server error.
const std::string kFoo = md5("foo@bar.example");  // 356321a16f5bfa0ac6fe84b259cfa3e3 (spec §12)
const std::string kJpg = md5("jpeg@example.org");
const std::string kBroken = md5("broken@example.org");

StubAnswer gravatar(const std::string& t) {
  if (t == target(kFoo)) return {200, "image/png", kPng, 300ms};
  if (t == target(kJpg)) return {200, "image/jpeg", kJpeg, 0ms};
  if (t == target(kBroken)) return {500, "text/html", "<h1>oops</h1>", 0ms};
  return {404, "text/plain", "unexpected request", 0ms};
}

void setPrefs(WebClient& c, const std::string& gravatarEmail, bool isPrivate = false) {
  REQUIRE(c.get("/my/preferences").status == 200);
  Fields f{{"_method", "PUT"}, {"user[type]", "edit"}, {"user[email]", ""}, {"user[gravatar_email]", gravatarEmail}};
  if (isPrivate) f.emplace_back("user[private_profile]", "true");
  auto r = c.post("/my/preferences", f);
  INFO(r.body);
  REQUIRE(r.status == 302);
}

}  // namespace

TEST_CASE("avatar: Gravatar proxy with lookup, privacy, caching and upstream failures", "[web][db][avatar]") {
  REQUIRE(kFoo == "356321a16f5bfa0ac6fe84b259cfa3e3");
  for (const auto& backend : testBackends()) {
    for (const char* modules : {"web,ingest", "web,ingest,cache"}) {
      DYNAMIC_SECTION(backend << " " << modules) {
        HttpStub stub(gravatar);
        WebSite site(backend, modules, {"--set", "modules.web.gravatar_url=" + stub.baseUrl() + "/"});
        WebClient ava = site.account("Ava Lin");
        WebClient anon = site.client();

        // No gravatar_email: 404 with an empty body, and no image on the profile.
        auto r = anon.get("/users/Ava+Lin/avatar");
        CHECK(r.status == 404);
        CHECK(r.body.empty());
        CHECK(anon.get("/users/nobody/avatar").status == 404);
        CHECK(anon.get("/users/nobody/avatar").body.empty());
        r = anon.get("/users/Ava%20Lin");
        REQUIRE(r.status == 200);
        CHECK(contains(r.body, R"(<h1 id="profile-username" data-name="Ava Lin">Ava Lin</h1>)"));
        CHECK_FALSE(contains(r.body, "/avatar\""));

        // Stored with spaces and capitals; hashed trimmed and lower-cased (quirk 9 fixed).
        setPrefs(ava, "  Foo@Bar.example ");
        CHECK(site.sql("SELECT gravatar_email FROM users WHERE username = 'Ava Lin'").cells.at(0).s ==
              "  Foo@Bar.example ");
        settle(anon, "/users/Ava%20Lin", 200, "<img");
        r = anon.get("/users/Ava%20Lin");
        CHECK(contains(
            r.body,
            R"(<h1 id="profile-username" data-name="Ava Lin"><img class="avatar" src="/users/Ava%20Lin/avatar" alt="" width="100" height="100">Ava Lin</h1>)"));

        // Eight concurrent first requests (any case: no redirect) share one upstream fetch.
        std::vector<std::thread> threads;
        std::atomic<int> ok{0};
        for (int i = 0; i < 8; ++i)
          threads.emplace_back([&, i] {
            WebClient c = site.client();
            auto a = c.get(i % 2 ? "/users/ava%20lin/avatar" : "/users/Ava+Lin/avatar");
            if (a.status == 200 && a.body == kPng && a.header("content-type") == "image/png") ++ok;
          });
        for (auto& t : threads) t.join();
        CHECK(ok == 8);
        CHECK(stub.hits(target(kFoo)) == 1);
        CHECK(stub.totalHits() == 1);

        // Within the TTL: served from memory, with caching headers and a working ETag.
        r = anon.get("/users/Ava%20Lin/avatar");
        CHECK(r.status == 200);
        CHECK(r.body == kPng);
        CHECK(r.header("cache-control") == "public, max-age=300");
        CHECK(r.header("x-content-type-options") == "nosniff");
        CHECK(stub.hits(target(kFoo)) == 1);
        std::string etag = r.header("etag");
        REQUIRE_FALSE(etag.empty());
        r = anon.get("/users/Ava%20Lin/avatar", {{"If-None-Match", etag}});
        CHECK(r.status == 304);
        CHECK(r.body.empty());

        // Another user, another image type: passed through as Gravatar sent it.
        WebClient jo = site.account("Jo");
        setPrefs(jo, "jpeg@example.org");
        r = anon.get("/users/Jo/avatar");
        CHECK(r.status == 200);
        CHECK(r.header("content-type") == "image/jpeg");
        CHECK(r.body == kJpeg);

        // Upstream error: 502 with a short text; the failure is remembered (no second fetch).
        WebClient kim = site.account("Kim");
        setPrefs(kim, "broken@example.org");
        r = anon.get("/users/Kim/avatar");
        CHECK(r.status == 502);
        CHECK(r.header("content-type") == "text/plain; charset=utf-8");
        CHECK(contains(r.body, "could not be fetched"));
        CHECK(anon.get("/users/Kim/avatar").status == 502);
        CHECK(stub.hits(target(kBroken)) == 1);

        // Private: 404 (empty) for strangers, the image for the owner.
        setPrefs(ava, "foo@bar.example", true);
        settle(anon, "/users/Ava%20Lin", 404);
        r = anon.get("/users/Ava%20Lin/avatar");
        CHECK(r.status == 404);
        CHECK(r.body.empty());
        CHECK(jo.get("/users/Ava%20Lin/avatar").status == 404);
        r = ava.get("/users/Ava%20Lin/avatar");
        CHECK(r.status == 200);
        CHECK(r.body == kPng);
        CHECK(r.header("cache-control") == "private, max-age=300");
        CHECK(contains(ava.get("/users/Ava%20Lin").body, R"(<img class="avatar" src="/users/Ava%20Lin/avatar")"));
        CHECK(stub.hits(target(kFoo)) == 1);  // the same hash: still the one fetch

        // Removing the address removes the image.
        setPrefs(ava, "", true);
        settle(ava, "/users/Ava%20Lin", 200, "</h1>");
        for (int i = 0; i < 100 && contains(ava.get("/users/Ava%20Lin").body, "<img"); ++i)
          std::this_thread::sleep_for(50ms);
        CHECK_FALSE(contains(ava.get("/users/Ava%20Lin").body, "<img"));
        CHECK(ava.get("/users/Ava%20Lin/avatar").status == 404);
      }
    }
  }
}

TEST_CASE("avatar: Gravatar unreachable or not an image is 502", "[web][db][avatar]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      int closedPort = 0;
      {
        HttpStub gone([](const std::string&) { return StubAnswer{}; });
        closedPort = std::stoi(gone.baseUrl().substr(gone.baseUrl().rfind(':') + 1));
      }  // stopped: nothing listens there any more
      // A page instead of an image; a slow image (past the 500 ms deadline set below).
      const std::string slow = target(md5("slow@example.org"));
      HttpStub html([&](const std::string& t) {
        if (t == slow) return StubAnswer{200, "image/png", kPng, 1500ms};
        return StubAnswer{200, "text/html", "<script>alert(1)</script>"};
      });
      WebSite down(backend, "web",
                   {"--set", "modules.web.gravatar_url=http://127.0.0.1:" + std::to_string(closedPort)});
      WebClient c = down.account("Lee");
      setPrefs(c, "lee@example.org");
      auto r = c.get("/users/Lee/avatar");
      CHECK(r.status == 502);
      CHECK(contains(r.body, "could not be fetched"));
      down.h.reset();

      WebSite wrong(
          backend, "web",
          {"--set", "modules.web.gravatar_url=" + html.baseUrl(), "--set", "modules.web.gravatar_timeout_ms=500"});
      WebClient d = wrong.account("Lee");
      setPrefs(d, "lee@example.org");
      r = d.get("/users/Lee/avatar");
      CHECK(r.status == 502);
      CHECK_FALSE(contains(r.body, "alert"));
      CHECK(html.totalHits() == 1);

      setPrefs(d, "slow@example.org");
      auto started = std::chrono::steady_clock::now();
      r = d.get("/users/Lee/avatar");
      auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
      CHECK(r.status == 502);
      CHECK(ms < 1400);  // the deadline, not the upstream, ended the wait
      CHECK(html.hits(slow) == 1);
    }
  }
}

TEST_CASE("avatar: a gravatar_url that is not http(s) stops the start", "[web][avatar]") {
  std::string out;
  TempDir var;
  int rc = runHostToExit({"--set", "var_dir=" + var.path(), "--set", "http.port=0", "--set", "admin.port=0", "--set",
                          "modules=web", "--set", "modules.web.gravatar_url=ftp://example.org"},
                         out);
  INFO(out);
  CHECK(rc != 0);
  CHECK(contains(out, "gravatar_url"));
}
