// Web module, preferences and recovery: details, password change, account deletion (all
// data, aggregates included), and password reset through the mail module (file transport)
// or without it.
#include <dirent.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "web_fixture.hpp"

using namespace codestats::test;

namespace {

// The reset link of the newest mail in <var>/mail, waiting for the mail module's timer.
std::string resetLinkFromMail(const std::string& varDir) {
  for (int i = 0; i < 100; ++i) {
    if (DIR* d = ::opendir((varDir + "/mail").c_str())) {
      std::string newest;
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 4 && n.substr(n.size() - 4) == ".eml" && n > newest) newest = n;
      }
      ::closedir(d);
      if (!newest.empty()) {
        std::ifstream f(varDir + "/mail/" + newest);
        std::stringstream ss;
        ss << f.rdbuf();
        std::string eml = std::regex_replace(ss.str(), std::regex("=\r\n"), "");
        std::smatch m;
        if (std::regex_search(eml, m, std::regex("/reset-password/([0-9a-f-]{36})"))) return m[1];
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {};
}

// All mail files of <var>/mail, soft line breaks of quoted-printable undone.
std::string mailText(const std::string& varDir) {
  std::string all;
  if (DIR* d = ::opendir((varDir + "/mail").c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.find(".eml") == std::string::npos) continue;
      std::ifstream f(varDir + "/mail/" + n);
      std::stringstream ss;
      ss << f.rdbuf();
      all += ss.str();
    }
    ::closedir(d);
  }
  return std::regex_replace(all, std::regex("=\r\n"), "");
}

int mailCount(const std::string& varDir) {
  int n = 0;
  if (DIR* d = ::opendir((varDir + "/mail").c_str())) {
    while (dirent* e = ::readdir(d)) n += std::string(e->d_name).find(".eml") != std::string::npos;
    ::closedir(d);
  }
  return n;
}

}  // namespace

TEST_CASE("web: preferences edit details and change the password with the original texts", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient c = site.account("kim", "secret123", "kim@example.org");
      WebClient otherBrowser = site.client();
      REQUIRE(site.login(otherBrowser, "kim", "secret123", true).status == 302);
      auto page = c.get("/my/preferences");
      CHECK(page.status == 200);
      CHECK(contains(page.body, "value=\"kim@example.org\""));

      auto bad = c.post("/my/preferences", {{"_method", "PUT"}, {"user[type]", "edit"}, {"user[email]", "nope"}});
      CHECK(bad.status == 400);
      CHECK(contains(bad.body, "Error updating preferences."));
      CHECK(contains(bad.body, "has invalid format"));
      CHECK(contains(c.get("/my/preferences").body, "value=\"kim@example.org\""));  // nothing stored
      auto ok = c.post(
          "/my/preferences",
          {{"_method", "PUT"}, {"user[type]", "edit"}, {"user[email]", ""}, {"user[gravatar_email]", "g@example.org"}});
      CHECK(ok.status == 302);
      auto updated = c.get("/my/preferences");
      CHECK(contains(updated.body, "Preferences updated!"));
      CHECK(contains(updated.body, "id=\"user_email\" name=\"user[email]\" value=\"\""));
      CHECK(contains(updated.body, "value=\"g@example.org\""));

      auto unknown = c.post("/my/preferences", {{"_method", "PUT"}, {"user[type]", "other"}});
      CHECK(contains(unknown.body, "Unknown error in preferences."));

      auto wrongOld = c.post("/my/preferences", {{"_method", "PUT"},
                                                 {"user[type]", "password"},
                                                 {"user[old_password]", "nope"},
                                                 {"user[password]", "newsecret"}});
      CHECK(wrongOld.status == 400);
      CHECK(contains(wrongOld.body, "Error changing password."));
      CHECK(contains(wrongOld.body, "does not match your current password"));
      auto tooShort = c.post("/my/preferences", {{"_method", "PUT"},
                                                 {"user[type]", "password"},
                                                 {"user[old_password]", "secret123"},
                                                 {"user[password]", "12345"}});
      CHECK(tooShort.status == 400);
      CHECK(contains(tooShort.body, "should be at least 6 character(s)"));
      CHECK(c.post("/my/preferences", {{"_method", "PUT"}, {"user[type]", "password"}}).status == 400);
      auto changed = c.post("/my/preferences", {{"_method", "PUT"},
                                                {"user[type]", "password"},
                                                {"user[old_password]", "secret123"},
                                                {"user[password]", "newsecret"}});
      CHECK(changed.status == 302);
      CHECK(contains(c.get("/my/preferences").body, "Password changed."));
      // The other browser (and its remember-me cookie) is logged out; this one is not.
      otherBrowser.cookies.erase("_code_stats_key");
      CHECK(otherBrowser.get("/my/preferences").status == 403);
      WebClient fresh = site.client();
      CHECK(site.login(fresh, "kim", "secret123").status == 404);
      CHECK(site.login(fresh, "kim", "newsecret").status == 302);
    }
  }
}

TEST_CASE("web: deleting the account removes all of the user's data, aggregates included", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient keep = site.account("stays");
      std::string keepToken = trimmed(site.run({"run", "web.create-machine", "stays", "m"}));
      WebClient c = site.account("leaves");
      std::string token = trimmed(site.run({"run", "web.create-machine", "leaves", "m"}));
      std::string body = R"({"coded_at":")" + std::string("2020-01-01T00:00:00Z") + R"(","xps":[]})";
      auto send = [&](const std::string& t, int xp) {
        std::time_t now = std::time(nullptr) - 30;
        char at[40];
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return site.h
            ->request("POST", "/api/my/pulses",
                      std::string(R"({"coded_at":")") + at + R"(","xps":[{"language":"Go","xp":)" + std::to_string(xp) +
                          "}]}",
                      {{"X-API-Token", t}, {"Content-Type", "application/json"}})
            .status;
      };
      REQUIRE(send(token, 100) == 201);
      REQUIRE(send(keepToken, 7) == 201);
      c.get("/my/preferences");
      auto wrong = c.post("/my/preferences", {{"_method", "DELETE"}, {"delete_confirmation", "delete"}});
      CHECK(wrong.location() == "/my/preferences");
      CHECK(contains(c.get("/my/preferences").body,
                     "Please confirm deletion by typing &quot;DELETE&quot; into the input field."));
      auto del = c.post("/my/preferences", {{"_method", "DELETE"}, {"delete_confirmation", "DELETE"}});
      CHECK(del.status == 302);
      CHECK(del.location() == "/");
      CHECK(contains(c.get("/").body, "Your user account has been deleted."));
      CHECK(c.get("/my/preferences").status == 403);
      CHECK(send(token, 1) == 403);
      CHECK(keep.get("/users/leaves").status == 404);
      // Every aggregate row of the user is gone; the other user's data is untouched.
      std::string stats = site.run({"run", "ingest.stats"});
      INFO(stats);
      CHECK(contains(stats, "\"xps_sum\":7"));
      CHECK(contains(stats, "\"by_language\":7"));
      CHECK(contains(stats, "\"totals\":7"));
      CHECK(contains(keep.get("/users/stays").body, "data-total-xp=\"7\""));
      // The name is free again.
      WebClient again = site.account("leaves");
      CHECK(contains(again.get("/users/leaves").body, "data-total-xp=\"0\""));
    }
  }
}

TEST_CASE("web: password reset by mail: same answer for everyone, 4 h single-use token", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(
          backend, "web,ingest,mail",
          {"--set", "modules.mail.poll_ms=50", "--set", "modules.web.base_url=https://codestats.example.org/"});
      WebClient signup = site.client();
      site.signup(signup, "lee", "secret123", "lee@example.org");
      site.signup(signup, "nomail", "secret123");
      WebClient c = site.client();
      CHECK(c.get("/forgot-password").status == 200);
      const std::string sent = "A password reset email will be sent shortly";
      for (const char* who : {"nobody", "nomail", "LEE"}) {
        c.get("/forgot-password");
        auto r = c.post("/forgot-password", {{"password_reset[username]", who}});
        CHECK(r.status == 302);
        CHECK(r.location() == "/forgot-password");
        CHECK(contains(c.get("/forgot-password").body, sent));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      CHECK(mailCount(site.h->varDir()) == 0);  // exact, case-sensitive name with an email only
      CHECK(c.post("/forgot-password", {}).status == 400);
      c.get("/forgot-password");
      REQUIRE(c.post("/forgot-password", {{"password_reset[username]", "lee"}}).status == 302);
      std::string token = resetLinkFromMail(site.h->varDir());
      REQUIRE(token.size() == 36);
      // The link uses base_url, not the request's (forgeable) Host header.
      CHECK(contains(mailText(site.h->varDir()), "https://codestats.example.org/reset-password/" + token));

      CHECK(c.get("/reset-password/not-a-uuid").status == 400);
      CHECK(c.get("/reset-password/123e4567-e89b-42d3-a456-426614174000").status == 404);
      auto form = c.get("/reset-password/" + token);
      CHECK(form.status == 200);
      auto shortPw = c.post("/reset-password/" + token, {{"_method", "PUT"}, {"user[password]", "123"}});
      CHECK(shortPw.status == 400);
      CHECK(contains(shortPw.body, "should be at least 6 character(s)"));
      auto done = c.post("/reset-password/" + token, {{"_method", "PUT"}, {"user[password]", "brandnew1"}});
      CHECK(done.status == 302);
      CHECK(done.location() == "/login");
      CHECK(contains(c.get("/login").body, "Password reset successfully. You can now log in with the new password."));
      // Used: the link is dead, with a clear message.
      auto reused = c.post("/reset-password/" + token, {{"_method", "PUT"}, {"user[password]", "another1"}});
      CHECK(reused.status == 302);
      auto dead = c.get(reused.location());
      CHECK(dead.status == 404);
      CHECK(contains(dead.body, "Unable to reset password. The password reset token may have expired."));
      CHECK(contains(dead.body, "already been used"));
      CHECK(site.login(c, "lee", "secret123").status == 404);
      CHECK(site.login(c, "lee", "brandnew1").status == 302);
    }
  }
}

TEST_CASE("web: reset tokens older than 4 hours are refused; operator resets kill them", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend, "web,mail", {"--set", "modules.mail.poll_ms=50"});
      WebClient c = site.client();
      site.signup(c, "max", "secret123", "max@example.org");
      c.get("/forgot-password");
      REQUIRE(c.post("/forgot-password", {{"password_reset[username]", "max"}}).status == 302);
      std::string token = resetLinkFromMail(site.h->varDir());
      REQUIRE(token.size() == 36);
      // Only the SHA-256 of the token is stored.
      CHECK(site.count("password_resets WHERE token_hash = '" + token + "'") == 0);
      CHECK(site.count("password_resets") == 1);
      site.sql("UPDATE password_resets SET inserted_at = inserted_at - 4 * 3600 * 1000 + 60000");
      CHECK(c.get("/reset-password/" + token).status == 200);  // 3 h 59 min old
      site.sql("UPDATE password_resets SET inserted_at = inserted_at - 120000");
      auto expired = c.get("/reset-password/" + token);
      CHECK(expired.status == 404);
      CHECK(contains(expired.body, "has expired"));
      auto put = c.post("/reset-password/" + token, {{"_method", "PUT"}, {"user[password]", "another1"}});
      CHECK(put.location() == "/reset-password/" + token);
      CHECK(site.login(c, "max", "secret123").status == 302);  // password unchanged
      c.get("/logout");
      // An operator reset invalidates outstanding links.
      c.get("/forgot-password");
      REQUIRE(c.post("/forgot-password", {{"password_reset[username]", "max"}}).status == 302);
      site.run({"run", "web.reset-password", "max"});
      CHECK(site.count("password_resets") == 0);
    }
  }
}

TEST_CASE("web: without the mail service the reset page says mail is unavailable", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend, "web");
      WebClient c = site.client();
      site.signup(c, "ned", "secret123", "ned@example.org");
      auto page = c.get("/forgot-password");
      CHECK(page.status == 200);
      CHECK(contains(page.body, "id=\"mail-unavailable\""));
      for (const char* who : {"ned", "nobody"}) {
        auto r = c.post("/forgot-password", {{"password_reset[username]", who}, {"_csrf_token", c.csrf}}, false);
        CHECK(r.status == 503);
        CHECK(contains(r.body, "not available on this server"));
      }
    }
  }
}
