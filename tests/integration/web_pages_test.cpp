// The server-rendered profile and front pages (spec §7.1, §7.10, docs/frontend.md's DOM
// contract) and the embedded browser assets (/assets/<hashed name>), over HTTP on both
// backends, with and without the cache module.
#include <regex>

#include "web_fixture.hpp"

using namespace codestats::test;

namespace {

std::string capture(const std::string& body, const std::string& re) {
  std::smatch m;
  return std::regex_search(body, m, std::regex(re)) ? m[1].str() : std::string();
}

void sendPulse(WebClient& c, const std::string& token, const std::string& xps) {
  std::time_t t = std::time(nullptr) - 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char at[32];
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
  auto r = c.request("POST", "/api/my/pulses", std::string(R"({"coded_at":")") + at + R"(","xps":)" + xps + "}",
                     {{"X-API-Token", token}, {"Content-Type", "application/json"}, {"Accept", "application/json"}});
  INFO(r.body);
  REQUIRE(r.status == 201);
}

}  // namespace

TEST_CASE("web pages: the profile shows levels, bars, lists and the year; private is 404 but to its owner",
          "[web][db]") {
  for (const auto& backend : testBackends()) {
    for (const char* modules : {"web,ingest", "web,ingest,cache"}) {
      DYNAMIC_SECTION(backend << " " << modules) {
        WebSite site(backend, modules);
        WebClient owner = site.account("Mia");
        std::string token = trimmed(site.run({"run", "web.create-machine", "Mia", "desk"}));
        // 3000 XP: level 1, 29 %; all recent, so old 0 and recent 29 (spec §5).
        sendPulse(owner, token, R"([{"language":"Elixir","xp":2000},{"language":"C","xp":1000}])");

        WebClient anon = site.client();
        settle(anon, "/api/users/Mia", 200, R"("total_xp":3000)");
        // With the cache, a user loaded before its pulse.created is handled may briefly show
        // "language #N" for a brand-new language (reported to the cache module's owner).
        settle(anon, "/api/users/Mia", 200, R"("Elixir":{"xps":2000)");
        auto r = anon.get("/users/Mia");
        INFO(r.body);
        REQUIRE(r.status == 200);
        CHECK(contains(r.body, R"(<body data-page="profile">)"));
        CHECK(contains(r.body, R"(<h1 id="profile-username" data-name="Mia">)"));
        CHECK(contains(r.body, R"(id="profile-total" data-total-xp="3000" data-new-xp="3000")"));
        CHECK(contains(r.body, "Level 1 (3,000 XP) (+3,000)"));
        CHECK(contains(
            r.body,
            R"(aria-label="29 %"><rect class="old" height="4" width="0"></rect><rect class="recent" height="4" x="0" width="29">)"));
        CHECK(contains(
            r.body,
            R"(<li data-language="Elixir"><span data-role="level-text">Elixir level 1 (2,000 XP) (+2,000)</span>)"));
        CHECK(contains(r.body, R"(<li data-machine="desk">)"));
        CHECK(contains(r.body, R"(<canvas id="week-languages-chart")"));
        CHECK(contains(r.body, R"(<canvas id="hours-chart")"));
        size_t cells = 0;
        for (size_t at = r.body.find("<span class=\"day heat-"); at != std::string::npos;
             at = r.body.find("<span class=\"day heat-", at + 1))
          ++cells;
        CHECK(cells == 366);
        CHECK(contains(r.body, "heat-4"));
        CHECK_FALSE(contains(r.body, "Last programmed never"));
        CHECK_FALSE(contains(r.body, "<script>"));
        CHECK_FALSE(contains(r.body, "style="));

        r = anon.get("/users/mia");
        CHECK(r.status == 302);
        CHECK(r.location() == "/users/Mia");
        CHECK(anon.get("/users/nobody").status == 404);

        r = setProfilePrivate(owner, true);
        REQUIRE(r.status == 302);
        settle(anon, "/users/Mia", 404);
        CHECK(anon.get("/users/Mia").status == 404);
        CHECK(owner.get("/users/Mia").status == 200);
        r = owner.get("/my/profile");
        CHECK(r.status == 302);
        CHECK(r.location() == "/users/Mia");

        // The front page: everyone's total and the last 24 h by language.
        r = anon.get("/");
        REQUIRE(r.status == 200);
        CHECK(contains(r.body, R"(<body data-page="frontpage">)"));
        CHECK(contains(r.body, R"(data-role="total-xp" data-xp="3000">3,000<)"));
        CHECK(contains(r.body, R"(<li data-language="Elixir" data-xp="2000">)"));
        CHECK(contains(r.body, R"(<canvas id="xp-history-chart")"));
        CHECK(contains(r.body, R"(<svg id="world-map" viewBox="0 0 360 180")"));
        // The map's land (world-atlas land-110m) is an asset of its own, named by its hash.
        std::string land = capture(r.body, R"re(data-land="(/assets/land-110m-[A-Z0-9]{8}\.json)")re");
        REQUIRE_FALSE(land.empty());
        auto topo = anon.get(land);
        CHECK(topo.status == 200);
        CHECK(topo.header("content-type") == "application/json");
        CHECK(topo.header("cache-control") == "public, max-age=31536000, immutable");
        CHECK(contains(topo.body, R"("type":"Topology")"));
        CHECK(contains(topo.body, R"("land":)"));
        CHECK(contains(r.body, R"(<ol id="pulse-feed">)"));
      }
    }
  }
}

TEST_CASE("web assets: hashed bundle names from the manifest, immutable caching, ETag and 304", "[web]") {
  WebSite site("sqlite", "web");
  WebClient c = site.client();
  auto page = c.get("/login");
  REQUIRE(page.status == 200);
  std::string js = capture(page.body, R"re(<script type="module" src="(/assets/app-[A-Za-z0-9]+\.js)"></script>)re");
  std::string css = capture(page.body, R"re(<link rel="stylesheet" href="(/assets/app-[A-Za-z0-9]+\.css)")re");
  REQUIRE_FALSE(js.empty());
  REQUIRE_FALSE(css.empty());
  auto r = c.get(js);
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "text/javascript; charset=utf-8");
  CHECK(r.header("cache-control") == "public, max-age=31536000, immutable");
  CHECK(r.body.size() > 10000);
  CHECK(contains(r.body, "phx_join"));  // the phoenix client is bundled
  std::string etag = r.header("etag");
  REQUIRE(etag.size() > 2);
  auto again = c.get(js, {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(c.get(js, {{"If-None-Match", "\"other\", W/" + etag}}).status == 304);
  CHECK(c.get(js, {{"If-None-Match", "\"other\""}}).status == 200);
  r = c.get(css);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "text/css; charset=utf-8");
  CHECK(c.get("/assets/app-nothere.js").status == 404);
  CHECK(c.get("/assets/manifest.json").status == 404);
}

TEST_CASE("web pages: API docs, plugins, changes, legal and the aliases from the languages table", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      site.run({"run", "web.create-user", "zed"});
      std::string token = trimmed(site.run({"run", "web.create-machine", "zed", "box"}));
      WebClient c = site.client();
      sendPulse(c, token, R"([{"language":"JavaScript","xp":5},{"language":"JS","xp":3},{"language":"Go","xp":1}])");
      site.run({"run", "ingest.alias-language", "JS", "JavaScript"});
      auto r = c.get("/api-docs", {{"Host", "stats.example.org"}});
      REQUIRE(r.status == 200);
      CHECK(contains(r.body, "<title>API docs – Code::Stats</title>"));
      CHECK(contains(r.body, "curl -s http://stats.example.org/api/users/"));
      CHECK(contains(r.body, "X-API-Token"));
      // the badge (issue 17), with its per-language form
      CHECK(contains(r.body, "<code>GET /users/:username/badge.svg</code>"));
      CHECK(contains(r.body, "http://stats.example.org/users/Nicd/badge.svg?language=Elixir"));
      r = c.get("/plugins", {{"Host", "stats.example.org"}});
      CHECK(r.status == 200);
      CHECK(contains(r.body, "http://stats.example.org/api/my/pulses"));
      CHECK(c.get("/changes").status == 200);
      r = c.get("/tos");
      CHECK(r.status == 200);
      CHECK(contains(r.body, "Privacy policy"));
      r = c.get("/aliases");
      INFO(r.body);
      CHECK(r.status == 200);
      CHECK(contains(r.body, R"(<dt>JavaScript</dt><dd>Aliases: <span class="alias">JS</span> </dd>)"));
      CHECK(contains(r.body, "<dt>Go</dt><dd>No aliases.</dd>"));
      CHECK_FALSE(contains(r.body, "<dt>JS</dt>"));
    }
  }
}

TEST_CASE("web pages: /profile-graphiql serves the GraphiQL IDE from its own hashed bundle", "[web]") {
  WebSite site("sqlite", "web");
  WebClient c = site.client();
  auto page = c.get("/profile-graphiql");
  INFO(page.body);
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  // Its own policy: the host's, plus the data: fonts of graphiql's stylesheet; no inline script.
  CHECK(contains(page.header("content-security-policy"), "script-src 'self';"));
  CHECK(contains(page.header("content-security-policy"), "font-src 'self' data:;"));
  CHECK(contains(page.body, R"(<div id="graphiql" data-username="">)"));
  CHECK(contains(page.body, "<noscript>"));
  std::string js =
      capture(page.body, R"re(<script type="module" src="(/assets/graphiql_ide-[A-Z0-9]{8}\.js)"></script>)re");
  std::string css = capture(page.body, R"re(<link rel="stylesheet" href="(/assets/graphiql_ide-[A-Z0-9]{8}\.css)">)re");
  REQUIRE_FALSE(js.empty());
  REQUIRE_FALSE(css.empty());
  CHECK_FALSE(contains(page.body, "/assets/app-"));  // the site bundle is not loaded here
  auto script = c.get(js);
  CHECK(script.status == 200);
  CHECK(script.header("content-type") == "text/javascript; charset=utf-8");
  CHECK(contains(script.body, "graphiql"));
  CHECK(c.get(css).status == 200);
  // ... and the IDE's bundle is loaded by no other page.
  CHECK_FALSE(contains(c.get("/").body, "graphiql_ide"));
  CHECK_FALSE(contains(c.get("/api-docs").body, "graphiql_ide"));

  // The logged-in user's name is the example query's variable.
  WebClient me = site.account("Graph Fan");
  CHECK(contains(me.get("/profile-graphiql").body, R"(<div id="graphiql" data-username="Graph Fan">)"));
}
