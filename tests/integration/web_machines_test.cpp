// Web module, machines and data: the machines page and its actions with the original's
// flash texts, API tokens that really authenticate pulses at ingest, the profile's XP,
// escaping of user-controlled names, and the CSV exports (read back by ingest's import).
#include <fstream>

#include "web_fixture.hpp"

using namespace codestats::test;

namespace {

std::string machineId(const std::string& html, const std::string& name) {
  std::regex re("data-machine-id=\"(\\d+)\">\\s*<td class=\"machine-name\">" + name + "<");
  std::smatch m;
  if (std::regex_search(html, m, re)) return m[1];
  std::regex inactive("data-machine-id=\"(\\d+)\"><span class=\"machine-name\">" + name + "<");
  return std::regex_search(html, m, inactive) ? m[1].str() : std::string();
}

std::string tokenOf(const std::string& html, const std::string& id) {
  std::regex re("id=\"machine-token-" + id + "\" class=\"machine-token\" value=\"([^\"]+)\"");
  std::smatch m;
  return std::regex_search(html, m, re) ? m[1].str() : std::string();
}

int pulse(const WebSite& site, const std::string& token, const std::string& language, int xp) {
  std::time_t t = std::time(nullptr) - 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char at[40];
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string body = std::string(R"({"coded_at":")") + at + R"(","xps":[{"language":")" + language + R"(","xp":)" +
                     std::to_string(xp) + "}]}";
  return site.h->request("POST", "/api/my/pulses", body, {{"X-API-Token", token}, {"Content-Type", "application/json"}})
      .status;
}

}  // namespace

TEST_CASE("web: machines page, tokens that work at ingest, and every machine action", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient c = site.account("hank");
      auto empty = c.get("/my/machines");
      CHECK(contains(empty.body, "You don't have any machines configured. :( You should add one below!"));

      CHECK(c.post("/my/machines", {{"machine[name]", "older"}}).status == 302);
      auto add = c.post("/my/machines", {{"machine[name]", "laptop"}});
      CHECK(add.status == 302);
      CHECK(add.location() == "/my/machines");
      auto list = c.get("/my/machines");
      CHECK(contains(list.body, "Machine added successfully."));
      // Newest first.
      CHECK(list.body.find(">laptop<") < list.body.find(">older<"));
      std::string id = machineId(list.body, "laptop");
      REQUIRE_FALSE(id.empty());
      std::string token = tokenOf(list.body, id);
      CHECK(token == trimmed(site.run({"run", "web.machine-token", "hank", "laptop"})));
      CHECK(pulse(site, token, "C++", 1500) == 201);
      CHECK(pulse(site, token, "Rust", 300) == 201);

      // The profile shows the XP from ingest's aggregates.
      auto profile = c.get("/users/hank");
      CHECK(profile.status == 200);
      CHECK(contains(profile.body, "data-total-xp=\"1800\""));
      CHECK(contains(profile.body, "1,800"));
      CHECK(contains(profile.body, "<span data-role=\"level-text\">C++ level 0 (1,500 XP)"));

      // Bad names: the form again with the original text, 400, nothing stored.
      for (const auto& [name, message] :
           std::vector<std::pair<std::string, std::string>>{{"", "can&apos;t be blank"},
                                                            {"  ", "can&apos;t be blank"},
                                                            {std::string(65, 'x'), "should be at most 64 character(s)"},
                                                            {"tab\there", "has invalid format"},
                                                            {"laptop", "has already been taken"},
                                                            {"LAPTOP", "has already been taken"}}) {
        auto r = c.post("/my/machines", {{"machine[name]", name}});
        INFO(name);
        CHECK(r.status == 400);
        CHECK(contains(r.body, "Error adding machine."));
        CHECK(contains(r.body, message));
      }
      CHECK(c.post("/my/machines", {}).status == 400);

      // Rename: errors are 400, the token survives a rename.
      CHECK(c.post("/my/machines/" + id, {{"_method", "PUT"}, {"machine[name]", "older"}}).status == 400);
      auto renamed = c.post("/my/machines/" + id, {{"_method", "PUT"}, {"machine[name]", "desk"}});
      CHECK(renamed.status == 302);
      CHECK(pulse(site, token, "C++", 1) == 201);

      // Deactivate: the token stops; activate: the same token works again.
      auto off = c.post("/my/machines/" + id + "/deactivate", {});
      CHECK(off.status == 302);
      CHECK(contains(c.get("/my/machines").body, "Machine desk deactivated."));
      CHECK(pulse(site, token, "C++", 1) == 403);
      CHECK(c.post("/my/machines/" + id + "/activate", {}).status == 302);
      CHECK(contains(c.get("/my/machines").body, "Machine desk activated."));
      CHECK(pulse(site, token, "C++", 1) == 201);

      // Asking first (issue 17): GET on the key and delete addresses shows a confirmation page
      // whose form posts the action with the session's CSRF token; it changes nothing itself.
      auto ask = c.get("/my/machines/" + id + "/key");
      REQUIRE(ask.status == 200);
      CHECK(contains(ask.body, "Regenerate the API key of desk?"));
      CHECK(contains(ask.body, R"(<form method="post" action="/my/machines/)" + id + R"(/key" id="confirm-form">)"));
      CHECK(contains(ask.body, R"(name="_csrf_token" value=")" + c.csrf + "\""));
      auto askDelete = c.get("/my/machines/" + id + "/delete");
      REQUIRE(askDelete.status == 200);
      CHECK(contains(askDelete.body, "Delete the machine desk?"));
      CHECK(contains(askDelete.body, R"(<form method="post" action="/my/machines/)" + id + R"(" id="confirm-form">)"));
      CHECK(contains(askDelete.body, R"(<input type="hidden" name="_method" value="DELETE">)"));
      CHECK(pulse(site, token, "C++", 1) == 201);
      // The list links to both pages (they work without JavaScript).
      auto links = c.get("/my/machines");
      CHECK(contains(links.body, R"(href="/my/machines/)" + id + R"(/key" data-confirm=)"));
      CHECK(contains(links.body, R"(href="/my/machines/)" + id + R"(/delete" data-confirm=)"));

      // Regenerate: the old token dies at once, the new one works.
      CHECK(c.post("/my/machines/" + id + "/key", {}).status == 302);
      auto regenerated = c.get("/my/machines");
      CHECK(contains(regenerated.body, "API key regenerated for machine desk."));
      std::string fresh = tokenOf(regenerated.body, id);
      CHECK(fresh != token);
      CHECK(pulse(site, token, "C++", 1) == 403);
      CHECK(pulse(site, fresh, "C++", 1) == 201);

      // Another user's machine is 404, a malformed id 400.
      WebClient other = site.account("ivy");
      other.get("/my/machines");
      CHECK(other.get("/my/machines/" + id).status == 404);
      CHECK(other.post("/my/machines/" + id + "/deactivate", {}).status == 404);
      CHECK(other.post("/my/machines/" + id, {{"_method", "DELETE"}}).status == 404);
      CHECK(other.get("/my/machines/abc").status == 400);
      CHECK(other.get("/my/machines/" + id + "/delete").status == 404);
      CHECK(other.get("/my/machines/" + id + "/key").status == 404);
      CHECK(pulse(site, fresh, "C++", 1) == 201);

      // Delete: the machine, its pulses and every figure with its XP go (spec §7: the
      // original regenerated the user's cache); the other machine's XP stays, exactly.
      std::string olderId = machineId(c.get("/my/machines").body, "older");
      std::string olderToken = tokenOf(c.get("/my/machines").body, olderId);
      CHECK(pulse(site, olderToken, "Rust", 7) == 201);
      auto del = c.post("/my/machines/" + id, {{"_method", "DELETE"}});
      CHECK(del.status == 302);
      CHECK(contains(c.get("/my/machines").body,
                     "The machine has been deactivated and will be deleted in a few moments."));
      CHECK(machineId(c.get("/my/machines").body, "desk").empty());
      CHECK(pulse(site, fresh, "C++", 1) == 403);
      auto after = c.get("/users/hank");
      CHECK(contains(after.body, "data-total-xp=\"7\""));
      CHECK_FALSE(contains(after.body, "C++"));
      // ingest's own figures: pulses, xps and every aggregate hold the 7 XP left, nothing more.
      auto stats = site.run({"run", "ingest.stats", "hank"});
      INFO(stats);
      for (const char* field : {"\"xps_sum\":7,", "\"by_language\":7,", "\"by_machine\":7,", "\"by_day\":7,",
                                "\"by_hour\":7,", "\"totals\":7,", "\"pulses\":1,"})
        CHECK(contains(stats, field));
      CHECK(c.get("/my/machines/" + id).status == 404);
      // Unauthenticated: 403 page.
      WebClient anon = site.client();
      auto forbidden = anon.get("/my/machines");
      CHECK(forbidden.status == 403);
      CHECK(contains(forbidden.body,
                     "Either you are not logged in or you tried doing something you&apos;re not allowed to do."));
    }
  }
}

TEST_CASE("web: script and HTML in names and emails are escaped everywhere they are shown", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      std::string evilUser = "\"><script>alert(1)<";
      std::string evilMachine = "<script>alert('m')</script>";
      std::string evilEmail = "\"><img src=x onerror=alert(2)>@example.org";
      WebClient c = site.account(evilUser, "secret123", "");
      c.get("/my/preferences");
      CHECK(c.post("/my/preferences", {{"_method", "PUT"},
                                       {"user[type]", "edit"},
                                       {"user[email]", evilEmail},
                                       {"user[private_profile]", "false"}})
                .status == 302);
      c.get("/my/machines");
      CHECK(c.post("/my/machines", {{"machine[name]", evilMachine}}).status == 302);
      std::string id = machineId(c.get("/my/machines").body, "&lt;script&gt;alert\\(&apos;m&apos;\\)&lt;/script&gt;");
      std::vector<std::string> pages = {"/my/machines", "/my/preferences",
                                        "/users/" + std::string("%22%3E%3Cscript%3Ealert(1)%3C")};
      if (!id.empty()) pages.push_back("/my/machines/" + id);
      for (const auto& p : pages) {
        auto r = c.get(p);
        INFO(p << "\n" << r.body);
        CHECK(r.status == 200);
        CHECK_FALSE(contains(r.body, "<script>alert"));
        CHECK_FALSE(contains(r.body, "<img src=x"));
      }
      CHECK(contains(c.get("/my/machines").body, "&lt;script&gt;alert(&apos;m&apos;)&lt;/script&gt;"));
      CHECK(contains(c.get("/my/preferences").body, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;@example.org"));
      // Flash texts with the name are escaped too.
      CHECK(c.post("/my/machines/" + id + "/deactivate", {}).status == 302);
      auto flash = c.get("/my/machines");
      CHECK(contains(flash.body, "Machine &lt;script&gt;alert(&apos;m&apos;)&lt;/script&gt; deactivated."));
      CHECK_FALSE(contains(flash.body, "<script>alert"));
    }
  }
}

TEST_CASE("web: private profiles, case redirects and the exports", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient c = site.account("Jo Ann", "secret123", "jo@example.org");
      c.get("/my/machines");
      c.post("/my/machines", {{"machine[name]", "semi;colon \"box\""}});
      auto list = c.get("/my/machines");
      std::string id = machineId(list.body, "semi;colon &quot;box&quot;");
      REQUIRE_FALSE(id.empty());
      std::string token = tokenOf(list.body, id);
      CHECK(pulse(site, token, "Elixir", 42) == 201);
      CHECK(pulse(site, token, "C++", 8) == 201);

      CHECK(c.get("/users/jo+ann").location() == "/users/Jo%20Ann");
      CHECK(c.get("/users/JO%20ANN").location() == "/users/Jo%20Ann");
      CHECK(c.get("/users/nobody").status == 404);

      auto csv = c.get("/my/pulses", {{"Accept", "text/csv"}});
      CHECK(csv.status == 200);
      CHECK(csv.header("content-type") == "text/csv; charset=utf-8");
      CHECK(csv.header("content-disposition") == "attachment; filename=\"pulses.csv\"");
      CHECK(csv.body.rfind("sent_at;sent_at_local;tz_offset;language;machine;amount\n", 0) == 0);
      CHECK(contains(csv.body, ";0;Elixir;\"semi;colon \"\"box\"\"\";42\n"));
      CHECK(csv.body.back() == '\n');
      CHECK(std::count(csv.body.begin(), csv.body.end(), '\n') == 3);
      CHECK(c.get("/my/pulses", {{"Accept", "application/json"}}).status == 406);

      auto priv = c.get("/my/private", {{"Accept", "text/csv"}});
      CHECK(priv.status == 200);
      CHECK(priv.header("content-disposition") == "attachment; filename=\"private.csv\"");
      CHECK(priv.body.rfind("username;email;private_profile;last_cached;cache\nJo Ann;jo@example.org;false;;", 0) == 0);
      CHECK(contains(priv.body, "\"\"languages\"\""));
      WebClient anon = site.client();
      CHECK(anon.get("/my/pulses", {{"Accept", "text/csv"}}).status == 403);

      // The export is what ingest's CSV import reads back.
      std::string file = site.h->varDir() + "/pulses.csv";
      std::ofstream(file) << csv.body;
      site.run({"run", "web.create-user", "restored"});
      site.run({"run", "web.create-machine", "restored", "semi;colon \"box\""});
      std::string out = site.run({"run", "ingest.import-csv", "restored", file});
      CHECK(contains(out, "imported"));
      auto restoredProfile = c.get("/users/restored");
      CHECK(contains(restoredProfile.body, "data-total-xp=\"50\""));

      // Private: 404 for others, visible to the owner.
      c.get("/my/preferences");
      CHECK(c.post("/my/preferences", {{"_method", "PUT"},
                                       {"user[type]", "edit"},
                                       {"user[email]", "jo@example.org"},
                                       {"user[private_profile]", "true"}})
                .status == 302);
      CHECK(c.get("/users/Jo%20Ann").status == 200);
      CHECK(anon.get("/users/Jo%20Ann").status == 404);
    }
  }
}
