// Issue 17 item 6 over HTTP against a real host, on both backends: error answers negotiated
// by Accept (an HTML page for browsers, JSON for API clients; 406 on the API for an Accept
// without JSON; spec §2.2, §2.6, §3.2), 500s from web and from the host alike, /support with
// and without the operator's contact, the front page's example-profile link, and the terms
// text on the consent page.
#include "web_fixture.hpp"

using namespace codestats::test;

namespace {

// What Chromium sends when it loads a page.
const std::map<std::string, std::string> kBrowser = {
    {"Accept",
     "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
     "application/signed-exchange;v=b3;q=0.7"}};
const std::map<std::string, std::string> kApi = {{"Accept", "application/json"}};
const std::map<std::string, std::string> kAny = {{"Accept", "*/*"}};

std::string nowUtc() {
  std::time_t t = std::time(nullptr) - 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char at[32];
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return at;
}

HttpReply postPulse(const WebSite& site, const std::string& token, int xp,
                    std::map<std::string, std::string> headers = {}) {
  headers["X-API-Token"] = token;
  headers["Content-Type"] = "application/json";
  return site.h->request(
      "POST", "/api/my/pulses",
      R"({"coded_at":")" + nowUtc() + R"(","xps":[{"language":"C","xp":)" + std::to_string(xp) + "}]}", headers);
}

bool isJson404(const HttpReply& r) {
  return r.status == 404 && contains(r.header("content-type"), "application/json") &&
         r.body == R"({"error":"Route not found."})";
}

// The terms as a page shows them: from the privacy policy's heading to the date line.
std::string termsText(const std::string& html) {
  size_t from = html.find("<h2>Privacy policy</h2>");
  size_t to = html.find("Last changed 3 July 2020.</p>");
  if (from == std::string::npos || to == std::string::npos || to < from) return {};
  return html.substr(from, to - from);
}

}  // namespace

TEST_CASE("web errors: HTML pages for browsers, JSON for API clients, 406 on the API", "[web][db][errors]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      const HostProcess& h = *site.h;

      // An unknown page: a browser gets the "Not found" page in the layout, and no session.
      auto page = h.request("GET", "/no/such/page", {}, kBrowser);
      INFO(page.body);
      CHECK(page.status == 404);
      CHECK(page.header("content-type") == "text/html; charset=utf-8");
      CHECK(contains(page.body, "<title>Not found – Code::Stats</title>"));
      CHECK(contains(page.body, "<h1>Not found</h1>"));
      CHECK(contains(page.body,
                     "The page you were looking for does not exist. If you were looking for a user profile, it may "
                     "have also been set to private."));
      CHECK(contains(page.body, R"(href="/login")"));  // the layout's navigation
      CHECK(page.header("set-cookie").empty());
      // API clients: JSON with the spec's text; */* and no Accept at all are API clients
      CHECK(isJson404(h.request("GET", "/no/such/page", {}, kApi)));
      CHECK(isJson404(h.request("GET", "/no/such/page", {}, kAny)));
      CHECK(isJson404(h.request("GET", "/no/such/page")));
      CHECK(isJson404(h.request("POST", "/no/such/page", "{}", kAny)));
      CHECK(isJson404(h.request("GET", "/api/no/such/thing")));
      auto head = h.request("HEAD", "/no/such/page", {}, kBrowser);
      CHECK(head.status == 404);
      CHECK(head.body.empty());

      // A logged-in browser sees the page with its own navigation.
      WebClient owner = site.account("Ola");
      auto mine = owner.get("/nothing/here", kBrowser);
      CHECK(mine.status == 404);
      CHECK(contains(mine.body, "<h1>Not found</h1>"));
      CHECK(contains(mine.body, "Ola"));
      CHECK(contains(mine.body, R"(href="/logout")"));

      // A known path with another method stays a 405 (the fallback does not hide it),
      // negotiated the same way by the host.
      auto wrong = h.request("DELETE", "/tos", {}, kBrowser);
      CHECK(wrong.status == 405);
      CHECK(wrong.header("allow") == "GET");
      CHECK(contains(wrong.header("content-type"), "text/html"));
      CHECK(contains(wrong.body, "<h1>Method not allowed</h1>"));
      wrong = h.request("DELETE", "/tos", {}, kApi);
      CHECK(wrong.status == 405);
      CHECK(wrong.body == R"({"error":"Method not allowed"})");
      CHECK(h.request("GET", "/api/my/pulses").status == 405);

      // /api/users/:name: 406 for an Accept without JSON and without */* (spec §2.2)
      auto api = h.request("GET", "/api/users/Ola", {}, {{"Accept", "text/html"}});
      CHECK(api.status == 406);
      CHECK(contains(api.header("content-type"), "application/json"));
      CHECK(contains(api.body, R"("error":)"));
      for (const auto& accepted : {kApi, kAny, kBrowser, std::map<std::string, std::string>{}}) {
        auto ok = h.request("GET", "/api/users/Ola", {}, accepted);
        CHECK(ok.status == 200);
        CHECK(contains(ok.body, R"("user":"Ola")"));
      }

      // POST /api/my/pulses: the same rule, before the token is looked at (spec §3.2)
      std::string token = trimmed(site.run({"run", "web.create-machine", "Ola", "desk"}));
      auto refused = postPulse(site, token, 5, {{"Accept", "text/html"}});
      CHECK(refused.status == 406);
      CHECK(contains(refused.body, R"("error":)"));
      CHECK(postPulse(site, "not-a-token", 5, {{"Accept", "text/plain"}}).status == 406);
      CHECK(site.count("pulses") == 0);
      // every Accept of clients.md is served
      for (const char* accept : {"", "*/*", "application/json", "application/json, text/plain, */*",
                                 "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"}) {
        INFO(accept);
        std::map<std::string, std::string> headers;
        if (*accept) headers["Accept"] = accept;
        CHECK(postPulse(site, token, 1, headers).status == 201);
      }
      CHECK(site.count("pulses") == 5);
    }
  }
}

TEST_CASE("web 500s: the spec's page for browsers, JSON for API clients, from web and from the host",
          "[web][db][errors]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      HostProcess& h = *site.h;
      site.run({"run", "web.create-user", "Ola"});
      REQUIRE(h.request("GET", "/users/Ola", {}, kBrowser).status == 200);
      // Every user lookup fails from now on: a database fault web does not expect.
      site.sql("ALTER TABLE users RENAME TO users_gone");
      auto noDetail = [](const HttpReply& r) {
        return !contains(r.body, "users") && !contains(r.body, "Ola") && !contains(r.body, "table") &&
               !contains(r.body, "relation");
      };

      // A page: web's own 500, the standalone page of spec §2.6 for a browser ...
      auto page = h.request("GET", "/users/Ola", {}, kBrowser);
      INFO(page.body);
      CHECK(page.status == 500);
      CHECK(page.header("content-type") == "text/html; charset=utf-8");
      CHECK(contains(page.body, "<title>Code::Stats has died</title>"));
      CHECK(contains(page.body, "<h1>500 Internal server error</h1><p>The server some kind of exploded.</p>"));
      CHECK(noDetail(page));
      // ... and the spec's JSON for API clients (*/* and no Accept: a page's 406 rule lets them in)
      for (const auto& api : {kAny, std::map<std::string, std::string>{}}) {
        auto json = h.request("GET", "/users/Ola", {}, api);
        CHECK(json.status == 500);
        CHECK(contains(json.header("content-type"), "application/json"));
        CHECK(json.body == R"({"error":"The server some kind of exploded."})");
      }

      // Routes outside the page pipeline that throw are answered by the host, by the same rule:
      // /api/users/:name on the event loop's lane, the avatar on a request thread.
      for (const char* path : {"/api/users/Ola", "/users/Ola/avatar"}) {
        INFO(path);
        auto html = h.request("GET", path, {}, kBrowser);
        CHECK(html.status == 500);
        CHECK(html.header("content-type") == "text/html; charset=utf-8");
        CHECK(contains(html.body, "<h1>Internal server error</h1>"));
        CHECK(contains(html.body, html.header("x-request-id")));
        CHECK(noDetail(html));
        for (const auto& api : {kApi, kAny, std::map<std::string, std::string>{}}) {
          auto json = h.request("GET", path, {}, api);
          CHECK(json.status == 500);
          CHECK(json.header("content-type") == "application/json");
          CHECK(json.body ==
                R"({"error":"Internal server error","request_id":")" + json.header("x-request-id") + "\"}");
        }
      }
      CHECK(contains(h.log(), "users"));  // what failed is in the log
      CHECK(h.alive());
    }
  }
}

TEST_CASE("web /support: the operator's contact, or a default text without one", "[web][db][support]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      {
        WebSite site(backend, "web,ingest",
                     {"--set", "modules.web.support_email=help@stats.example.org", "--set",
                      "modules.web.support_url=https://stats.example.org/contact?via=site&lang=en"});
        auto r = site.client().get("/support");
        INFO(r.body);
        CHECK(r.status == 200);
        CHECK(contains(r.body, "<title>Support – Code::Stats</title>"));
        CHECK(contains(r.body, R"(<a href="mailto:help@stats.example.org">help@stats.example.org</a>)"));
        CHECK(contains(r.body, R"(<a href="https://stats.example.org/contact?via=site&amp;lang=en">)"));
        CHECK_FALSE(contains(r.body, "has not published a contact"));
        CHECK(r.header("set-cookie").empty());  // an information page starts no session
      }
      {
        WebSite site(backend, "web,ingest");
        auto r = site.client().get("/support");
        INFO(r.body);
        CHECK(r.status == 200);
        CHECK(contains(r.body, "has not published a contact here yet"));
        CHECK(contains(r.body, "modules.web.support_email"));
        CHECK_FALSE(contains(r.body, "mailto:"));
      }
    }
  }
}

TEST_CASE("web /support: a malformed contact stops the start", "[web][support]") {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"support_email", "nobody"}, {"support_url", "javascript:alert(1)"}, {"support_url", "https://a b"}}) {
    INFO(key << "=" << value);
    std::string out;
    TempDir var;
    int rc = runHostToExit({"--set", "var_dir=" + var.path(), "--set", "http.port=0", "--set", "admin.port=0", "--set",
                            "modules=web", "--set", "modules.web." + key + "=" + value},
                           out);
    CHECK(rc != 0);
    CHECK(contains(out, key));
  }
}

TEST_CASE("web front page: the example profile is the configured or the top public user, never a 404",
          "[web][db][example]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      SECTION("a new server has no profile to show: no link") {
        WebSite site(backend, "web,ingest", {"--set", "modules.web.example_profile=Ghost"});
        auto r = site.client().get("/");
        REQUIRE(r.status == 200);
        CHECK_FALSE(contains(r.body, "example profile"));
        CHECK_FALSE(contains(r.body, "/users/Nicd"));
      }
      SECTION("without configuration: the public user with the most XP") {
        WebSite site(backend, "web,ingest");
        site.run({"run", "web.create-user", "Ann Lee"});
        site.run({"run", "web.create-user", "bob", "--private"});
        CHECK(postPulse(site, trimmed(site.run({"run", "web.create-machine", "Ann Lee", "a"})), 100).status == 201);
        CHECK(postPulse(site, trimmed(site.run({"run", "web.create-machine", "bob", "b"})), 500).status == 201);
        WebClient c = site.client();
        auto r = c.get("/");
        INFO(r.body);
        CHECK(contains(r.body, R"(<a href="/users/Ann%20Lee" id="example-profile">an example profile</a>)"));
        CHECK(c.get("/users/Ann%20Lee").status == 200);  // the link works
      }
      SECTION("configured (any case): that user, named as stored") {
        WebSite site(backend, "web,ingest", {"--set", "modules.web.example_profile=CARL"});
        site.run({"run", "web.create-user", "Carl"});
        site.run({"run", "web.create-user", "ann"});
        CHECK(postPulse(site, trimmed(site.run({"run", "web.create-machine", "ann", "a"})), 100).status == 201);
        auto r = site.client().get("/");
        INFO(r.body);
        CHECK(contains(r.body, R"(<a href="/users/Carl" id="example-profile">)"));
      }
    }
  }
}

TEST_CASE("web consent: the page shows the current terms, the same text as /tos", "[web][db][consent]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      site.run({"run", "web.create-user", "erin"});  // the DB default terms version: must consent
      std::string password = trimmed(site.run({"run", "web.reset-password", "erin"}));
      WebClient c = site.client();
      REQUIRE(site.login(c, "erin", password).status == 302);
      auto consent = c.get("/my/consent");
      REQUIRE(consent.status == 200);
      const std::string tos = termsText(site.client().get("/tos").body);  // (erin is sent to /my/consent)
      REQUIRE(!tos.empty());
      CHECK(contains(tos, "<h2>Terms of service</h2>"));
      CHECK(termsText(consent.body) == tos);
      CHECK(contains(consent.body, R"(<section class="terms" id="terms")"));
      // refused: the page again, terms included
      auto refused = c.post("/my/consent", {{"not-underage", "true"}});
      CHECK(refused.status == 400);
      CHECK(termsText(refused.body) == tos);
    }
  }
}
