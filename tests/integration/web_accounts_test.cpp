// Web module, accounts: signup rules and messages, login, logout, remember-me, CSRF,
// method override, tampered cookies, rate limits, consent, admin commands. Every test runs
// on SQLite and PostgreSQL against a real codestatsd over HTTP.
#include "web_fixture.hpp"

using namespace codestats::test;

TEST_CASE("web: signup validates with the original messages, 400 and nothing stored", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient c = site.client();
      REQUIRE(c.get("/signup").status == 200);
      struct Case {
        std::string username, password, email, message;
      };
      std::vector<Case> cases = {
          {"", "secret123", "", "can&apos;t be blank"},
          {"   ", "secret123", "", "can&apos;t be blank"},
          {std::string(65, 'a'), "secret123", "", "should be at most 64 character(s)"},
          {"bad/name", "secret123", "", "has invalid format"},
          {"bad?name", "secret123", "", "has invalid format"},
          {"bad+name", "secret123", "", "has invalid format"},
          {"ok", "12345", "", "should be at least 6 character(s)"},
          {"ok", std::string(256, 'p'), "", "should be at most 255 character(s)"},
          {"ok", "secret123", "no-at-sign", "has invalid format"},
          {"ok", "secret123", std::string(260, 'e') + "@x", "should be at most 255 character(s)"},
      };
      for (const auto& k : cases) {
        auto r = c.post("/signup", {{"user[username]", k.username},
                                    {"user[password]", k.password},
                                    {"user[email]", k.email},
                                    {"user[not-underage]", "true"},
                                    {"user[accept-terms]", "true"}});
        INFO(k.username.substr(0, 20) << " / " << k.message);
        CHECK(r.status == 400);
        bool found = contains(r.body, k.message) || contains(r.body, "can't be blank");
        CHECK(found);
      }
      // Consent is checked on the server.
      auto r = c.post("/signup", {{"user[username]", "ok"}, {"user[password]", "secret123"}});
      CHECK(r.status == 400);
      CHECK(contains(r.body, "must be accepted"));
      // A form without the user map at all.
      CHECK(c.post("/signup", {{"x", "y"}}).status == 400);
      // Nothing was stored: the name is still free and nobody can log in as it.
      CHECK(c.get("/users/ok").status == 404);
      site.signup(c, "ok", "secret123");
      // Duplicates, exact and by case.
      for (const char* dup : {"ok", "OK"}) {
        auto d = c.post("/signup", {{"user[username]", dup},
                                    {"user[password]", "secret123"},
                                    {"user[not-underage]", "true"},
                                    {"user[accept-terms]", "true"}});
        CHECK(d.status == 400);
        CHECK(contains(d.body, "has already been taken"));
      }
    }
  }
}

TEST_CASE("web: signup flash, login by any case, logout, wrong password 404", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient c = site.client();
      site.signup(c, "Alice Ünï", "secret123", "alice@example.org");
      auto page = c.get("/login");
      CHECK(contains(page.body,
                     "Great success! Your account was created and you can now log in with the details you provided."));
      // The flash is shown once.
      CHECK_FALSE(contains(c.get("/login").body, "Great success!"));

      auto bad = site.login(c, "alice ünï", "wrong-password");
      CHECK(bad.status == 404);
      CHECK(contains(bad.body, "Wrong username and/or password!"));
      CHECK(contains(bad.body, "value=\"alice ünï\""));
      auto unknown = site.login(c, "nobody", "whatever");
      CHECK(unknown.status == 404);
      CHECK(contains(unknown.body, "Wrong username and/or password!"));
      CHECK(c.post("/login", {{"username", "x"}}).status == 400);

      auto ok = site.login(c, "ALICE ÜNÏ", "secret123");  // ASCII case folding only: Ü stays
      if (ok.status != 302) ok = site.login(c, "ALICE Ünï", "secret123");
      REQUIRE(ok.status == 302);
      CHECK(ok.location() == "/my/profile");
      auto session = ok.header("set-cookie");
      CHECK(contains(session, "HttpOnly"));
      CHECK(contains(session, "SameSite=Lax"));
      CHECK_FALSE(contains(session, "Secure"));
      auto me = c.get("/my/profile");
      CHECK(me.status == 302);
      CHECK(me.location() == "/users/Alice%20%C3%9Cn%C3%AF");
      CHECK(c.get(me.location()).status == 200);
      // Logged-in users are sent away from the logged-out pages.
      CHECK(c.get("/login").location() == "/my/profile");
      CHECK(c.get("/signup").location() == "/my/profile");
      CHECK(c.get("/forgot-password").location() == "/my/profile");
      // Logout drops the session server-side: the old cookie no longer works.
      auto oldCookies = c.cookies;
      auto out = c.get("/logout");
      CHECK(out.status == 302);
      CHECK(out.location() == "/");
      auto home = c.get("/");
      CHECK(home.status == 200);
      CHECK(contains(home.body, "id=\"nav-login\""));
      // Pages are HTML only: a client that accepts only JSON gets 406.
      CHECK(c.get("/login", {{"Accept", "application/json"}}).status == 406);
      CHECK(c.get("/my/machines").status == 403);
      WebClient replay = site.client();
      replay.cookies = oldCookies;
      CHECK(replay.get("/my/machines").status == 403);
    }
  }
}

TEST_CASE("web: remember-me logs a new browser session in; tampered cookies are logged out", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient c = site.client();
      site.signup(c, "bob", "secret123");
      auto r = site.login(c, "bob", "secret123", true);
      REQUIRE(r.status == 302);
      REQUIRE(c.cookies.count("_codestats_remember_me"));
      bool maxAge = false;
      for (auto [it, end] = r.headers.equal_range("set-cookie"); it != end; ++it)
        if (contains(it->second, "_codestats_remember_me=") && contains(it->second, "Max-Age=31536000")) maxAge = true;
      CHECK(maxAge);
      // The browser is closed: only the remember-me cookie is left.
      WebClient later = site.client();
      later.cookies["_codestats_remember_me"] = c.cookies["_codestats_remember_me"];
      CHECK(later.get("/my/machines").status == 200);
      // Tampered cookies: logged out, no error.
      WebClient forged = site.client();
      forged.cookies["_codestats_remember_me"] = c.cookies["_codestats_remember_me"] + "x";
      CHECK(forged.get("/my/machines").status == 403);
      WebClient forged2 = site.client();
      forged2.cookies["_code_stats_key"] = c.cookies["_code_stats_key"].substr(1) + "A";
      CHECK(forged2.get("/my/machines").status == 403);
      // Logout revokes the remember-me token too.
      auto token = c.cookies["_codestats_remember_me"];
      c.get("/logout");
      WebClient after = site.client();
      after.cookies["_codestats_remember_me"] = token;
      CHECK(after.get("/my/machines").status == 403);
    }
  }
}

TEST_CASE("web: state-changing forms need the CSRF token; _method overrides POST", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient c = site.account("carol");
      c.get("/my/machines");
      auto noToken = c.post("/my/machines", {{"machine[name]", "box"}}, false);
      CHECK(noToken.status == 403);
      auto wrong = c.post("/my/machines", {{"machine[name]", "box"}, {"_csrf_token", "forged"}}, false);
      CHECK(wrong.status == 403);
      CHECK_FALSE(contains(c.get("/my/machines").body, ">box<"));
      // The header works as well as the field (for scripts).
      auto viaHeader = c.request("POST", "/my/machines", "machine%5Bname%5D=box",
                                 {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-CSRF-Token", c.csrf}});
      CHECK(viaHeader.status == 302);
      // Login without a token is refused too (login CSRF).
      WebClient anon = site.client();
      CHECK(anon.post("/login", {{"username", "carol"}, {"password", "secret123"}}, false).status == 403);
      // _method=PUT on a POST renames; a real PUT does the same.
      auto page = c.get("/my/machines");
      std::smatch m;
      std::regex re("data-machine-id=\"(\\d+)\"");
      REQUIRE(std::regex_search(page.body, m, re));
      std::string id = m[1];
      auto put = c.post("/my/machines/" + id, {{"_method", "PUT"}, {"machine[name]", "renamed"}});
      CHECK(put.status == 302);
      CHECK(put.location() == "/my/machines/" + id);
      CHECK(contains(c.get("/my/machines/" + id).body, "Machine edited successfully."));
      auto realPut =
          c.request("PUT", "/my/machines/" + id, formEncode({{"machine[name]", "again"}, {"_csrf_token", c.csrf}}),
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
      CHECK(realPut.status == 302);
      CHECK(contains(c.get("/my/machines").body, ">again<"));
    }
  }
}

TEST_CASE("web: login and forgot-password are rate limited per IP and per account", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      // The limits count in fixed windows (modules/web/rate_limit.cpp): with the default 300 s
      // a run that crossed a window's end saw its counts start over. 10^6 s windows make
      // that a chance of a few in a million.
      WebSite site(backend, "web,ingest",
                   {"--set", "modules.web.login_limit_per_ip=6", "--set", "modules.web.login_limit_per_account=3",
                    "--set", "modules.web.reset_limit_per_account=2", "--set", "modules.web.login_window_s=1000000",
                    "--set", "modules.web.reset_window_s=1000000"});
      WebClient c = site.client();
      site.signup(c, "dave", "secret123");
      for (int i = 0; i < 3; ++i) CHECK(site.login(c, "dave", "bad").status == 404);
      auto limited = site.login(c, "DAVE", "secret123");  // the account is counted case-insensitively
      CHECK(limited.status == 429);
      CHECK(contains(limited.body, "Too many attempts"));
      CHECK_FALSE(limited.header("retry-after").empty());
      // Other accounts from the same IP still work until the IP limit.
      CHECK(site.login(c, "nobody1", "x").status == 404);
      CHECK(site.login(c, "nobody2", "x").status == 404);
      CHECK(site.login(c, "nobody3", "x").status == 429);  // 7th attempt from this IP
      // Forgot password per account (no mail module: the page says so, still counted).
      WebClient f = site.client();
      for (int i = 0; i < 2; ++i) {
        f.get("/login");  // without mail the reset page has no form: take the token from here
        CHECK(f.post("/forgot-password", {{"password_reset[username]", "dave"}}).status == 503);
      }
      CHECK(f.post("/forgot-password", {{"password_reset[username]", "dave"}}).status == 429);
    }
  }
}

TEST_CASE("web: users on old terms must consent; refusing keeps them out", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      // An operator-made account has the DB default terms version (2016-08-02).
      site.run({"run", "web.create-user", "erin"});
      std::string password = trimmed(site.run({"run", "web.reset-password", "erin"}));
      CHECK(password.size() == 16);
      WebClient c = site.client();
      REQUIRE(site.login(c, "erin", password).status == 302);
      auto r = c.get("/my/machines");
      CHECK(r.status == 302);
      CHECK(r.location() == "/my/consent");
      auto page = c.get("/my/consent");
      CHECK(page.status == 200);
      auto refused = c.post("/my/consent", {{"not-underage", "true"}});
      CHECK(refused.status == 400);
      CHECK(contains(refused.body, "You must check the acceptance checkboxes to accept the terms."));
      CHECK(c.get("/my/machines").location() == "/my/consent");
      auto ok = c.post("/my/consent", {{"not-underage", "true"}, {"accept-terms", "true"}});
      CHECK(ok.status == 302);
      CHECK(ok.location() == "/my/profile");
      CHECK(c.get("/my/machines").status == 200);
    }
  }
}

TEST_CASE("web: admin commands keep their output; signups can be closed", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      CHECK(trimmed(site.run({"run", "web.create-user", "frank"})) == "1");
      std::string token = trimmed(site.run({"run", "web.create-machine", "frank", "box"}));
      CHECK(token.rfind("SFMyNTY.", 0) == 0);
      CHECK(trimmed(site.run({"run", "web.machine-token", "frank", "box"})) == token);
      CHECK(trimmed(site.run({"run", "web.set-machine-active", "frank", "box", "false"})) == "false");
      CHECK(trimmed(site.run({"run", "web.set-signups", "closed"})) == "signups closed");
      WebClient c = site.client();
      CHECK(contains(c.get("/signup").body, "does not accept new accounts"));
      auto r = c.post("/signup", {{"user[username]", "gina"},
                                  {"user[password]", "secret123"},
                                  {"user[not-underage]", "true"},
                                  {"user[accept-terms]", "true"}});
      CHECK(r.status == 403);
      site.run({"run", "web.set-signups", "open"});
      site.signup(c, "gina", "secret123");
      std::string out;
      CHECK(site.h->ctl({"run", "web.set-signups", "maybe"}, out) != 0);
      CHECK(site.h->ctl({"run", "web.reset-password", "nobody"}, out) != 0);
    }
  }
}

TEST_CASE("web: bcrypt hashes imported from an original instance log in and are rehashed", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient c = site.client();
      site.signup(c, "olga", "not-the-one");
      // bcrypt (cost 4) of "imported-pw", as an original instance stored it.
      site.sql(
          "UPDATE users SET password_hash = '$2b$04$m6cgYpIjRcZGdF7ezsQmEO92YstHPKt0w0FVOQkLkdzLyB4S4dh3S' "
          "WHERE username = 'olga'");
      CHECK(site.login(c, "olga", "not-the-one").status == 404);
      CHECK(site.login(c, "olga", "imported-pw").status == 302);
      auto r = site.sql("SELECT password_hash FROM users WHERE username = 'olga'");
      CHECK(r.cells.at(0).s.rfind("$argon2id$", 0) == 0);
      WebClient again = site.client();
      CHECK(site.login(again, "olga", "imported-pw").status == 302);
      // Passwords are never stored in the clear anywhere.
      CHECK(site.count("users WHERE password_hash LIKE '%imported-pw%'") == 0);
    }
  }
}

TEST_CASE("web: a module reload keeps sessions, CSRF tokens and pending flashes", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend);
      WebClient c = site.account("pat");
      c.get("/my/machines");
      std::string csrf = c.csrf;
      REQUIRE(c.post("/my/machines", {{"machine[name]", "before-reload"}}).status == 302);  // flash pending
      site.run({"reload", "web"});
      auto page = c.get("/my/machines");
      CHECK(page.status == 200);
      CHECK(contains(page.body, "Machine added successfully."));
      CHECK(c.csrf == csrf);
      CHECK(c.post("/my/machines", {{"machine[name]", "after-reload"}}).status == 302);
    }
  }
}

TEST_CASE("web: cookies get Secure behind TLS (secure_cookies)", "[web]") {
  WebSite site("sqlite", "web", {"--set", "modules.web.secure_cookies=true"});
  WebClient c = site.client();
  auto r = c.get("/login");
  CHECK(contains(r.header("set-cookie"), "; Secure"));
  CHECK(contains(r.header("set-cookie"), "HttpOnly"));
}

TEST_CASE("web: unknown config keys stop the start", "[web]") {
  std::string out;
  TempDir var;
  int rc = runHostToExit({"--set", "var_dir=" + var.path(), "--set", "http.port=0", "--set", "admin.port=0", "--set",
                          "modules=web", "--set", "modules.web.login_limit=3"},
                         out);
  CHECK(rc != 0);
  CHECK(contains(out, "login_limit"));
}
