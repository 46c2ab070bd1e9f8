// A real codestatsd with the web module (plus ingest / mail as a test needs) on one DB
// backend, and helpers that act like a person in a browser.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends.hpp"
#include "db/postgres_connection.hpp"
#include "db/sqlite_connection.hpp"
#include "web_client.hpp"

namespace codestats::test {

inline std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

struct WebSite {
  BackendArgs db;
  std::unique_ptr<HostProcess> h;

  explicit WebSite(const std::string& backend, const std::string& modules = "web,ingest",
                   std::vector<std::string> extra = {})
      : db(backendArgs(backend)) {
    h = std::make_unique<HostProcess>(db.args + std::vector<std::string>{"--set", "modules=" + modules} + extra);
  }
  // Runs SQL on the site's database directly (to age a token, to check what is stored).
  codestats::host::db::ResultSet sql(const std::string& statement) const {
    std::unique_ptr<codestats::host::db::Connection> conn;
    if (db.schema) conn = codestats::host::db::PostgresConnection::open(db.schema->conninfo());
    else
      conn =
          codestats::host::db::SqliteConnection::open(h->varDir() + "/codestats.db", "NORMAL", std::chrono::seconds(5));
    return conn->query(statement, nullptr, 0);
  }
  int64_t count(const std::string& fromWhere) const {
    auto r = sql("SELECT COUNT(*) FROM " + fromWhere);
    return r.cells.at(0).i;
  }
  WebClient client() const { return WebClient(h->httpPort()); }
  std::string run(const std::vector<std::string>& args) const {
    std::string out;
    int rc = h->ctl(args, out);
    INFO(out);
    REQUIRE(rc == 0);
    return out;
  }
  // Signs up through the form; REQUIREs the success redirect.
  void signup(WebClient& c, const std::string& user, const std::string& password, const std::string& email = "") const {
    REQUIRE(c.get("/signup").status == 200);
    auto r = c.post("/signup", {{"user[username]", user},
                                {"user[password]", password},
                                {"user[email]", email},
                                {"user[not-underage]", "true"},
                                {"user[accept-terms]", "true"}});
    INFO(r.body);
    REQUIRE(r.status == 302);
    REQUIRE(r.location() == "/login");
  }
  WebReply login(WebClient& c, const std::string& user, const std::string& password, bool remember = false) const {
    c.get("/login");
    Fields f{{"username", user}, {"password", password}};
    if (remember) f.emplace_back("remember-me", "true");
    return c.post("/login", f);
  }
  // A new client, signed up and logged in.
  WebClient account(const std::string& user, const std::string& password = "secret123",
                    const std::string& email = "") const {
    WebClient c = client();
    signup(c, user, password, email);
    auto r = login(c, user, password);
    INFO(r.body);
    REQUIRE(r.status == 302);
    REQUIRE(r.location() == "/my/profile");
    return c;
  }
};

inline bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// Sets the owner's profile private (or public) through the preferences form, as a browser
// would: the form's page first, for its CSRF token. Answers the form POST's reply (302).
inline WebReply setProfilePrivate(WebClient& owner, bool isPrivate) {
  owner.get("/my/preferences");
  return owner.post("/my/preferences", {{"_method", "PUT"},
                                        {"user[type]", "edit"},
                                        {"user[email]", ""},
                                        {"user[gravatar_email]", ""},
                                        {"user[private_profile]", isPrivate ? "true" : "false"}});
}

// Events reach the cache module asynchronously: waits (up to 5 s) until GET `path` answers
// `status` with a body containing `needle`, so a test asserts on settled data.
inline void settle(WebClient& c, const std::string& path, int status, const std::string& needle = "") {
  for (int i = 0; i < 100; ++i) {
    auto r = c.get(path);
    if (r.status == status && contains(r.body, needle)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace codestats::test
