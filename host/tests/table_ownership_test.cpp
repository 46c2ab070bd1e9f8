// The table-ownership rules (db/TableOwnership) and what each backend reports a statement
// touches (Connection::describeAccess): SQLite through its authorizer, PostgreSQL through
// EXPLAIN and the statement's text. Every test runs on both backends.
#include <catch2/catch.hpp>

#include "db/table_ownership.hpp"
#include "support/db_values.hpp"
#include "support/test_databases.hpp"

#include <algorithm>

using namespace codestats::host::db;
using codestats::host::db::test::backends;
using codestats::host::db::test::TestDatabase;
using namespace codestats::host::db::test;

namespace {

bool touches(const StatementAccess& a, const std::string& table, TableUse use) {
  return std::any_of(a.tables.begin(), a.tables.end(),
                     [&](const TableTouch& t) { return t.table == table && t.use == use && !t.catalog; });
}

DataDeclaration declared(std::vector<std::string> owns, std::vector<Contract> publishes = {},
                         std::vector<ContractRef> uses = {}) {
  DataDeclaration d;
  d.checked = true;
  d.owns = std::move(owns);
  d.publishes = std::move(publishes);
  d.uses = std::move(uses);
  return d;
}

void createTables(TestDatabase& db, Connection& c) {
  c.execScript(
      db.pick("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL, email TEXT);"
              "CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id INTEGER);"
              "CREATE TABLE pulses (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, amount INTEGER NOT NULL);",
              "CREATE TABLE users (id SERIAL PRIMARY KEY, username TEXT NOT NULL, email TEXT);"
              "CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id INTEGER);"
              "CREATE TABLE pulses (id BIGSERIAL PRIMARY KEY, user_id INTEGER NOT NULL, amount INTEGER NOT NULL);"));
}

}  // namespace

TEST_CASE("each backend names the tables a statement reads and writes", "[db][ownership]") {
  for (Backend b : backends()) {
    DYNAMIC_SECTION(backendName(b)) {
      TestDatabase db(b);
      auto c = db.pool().acquire();
      createTables(db, *c);
      auto a = c->describeAccess("SELECT p.amount FROM pulses p JOIN users u ON u.id = p.user_id WHERE u.username = $1",
                                 std::vector<cs_value>{T("ann")}.data(), 1);
      CHECK(touches(a, "pulses", TableUse::Read));
      CHECK(touches(a, "users", TableUse::Read));
      CHECK_FALSE(touches(a, "sessions", TableUse::Read));

      a = c->describeAccess("SELECT COUNT(*) FROM sessions", nullptr, 0);
      CHECK(touches(a, "sessions", TableUse::Read));

      a = c->describeAccess("DELETE FROM pulses WHERE user_id IN (SELECT id FROM users WHERE username = $1)",
                            std::vector<cs_value>{T("ann")}.data(), 1);
      CHECK(touches(a, "pulses", TableUse::Write));
      CHECK(touches(a, "users", TableUse::Read));
      CHECK_FALSE(touches(a, "users", TableUse::Write));

      a = c->describeAccess("INSERT INTO sessions (token, user_id) VALUES ($1, $2) ON CONFLICT (token) DO NOTHING",
                            std::vector<cs_value>{T("t"), I(1)}.data(), 2);
      CHECK(touches(a, "sessions", TableUse::Write));

      a = c->describeAccess("UPDATE users SET email = $1 WHERE id = $2", std::vector<cs_value>{T("x"), I(1)}.data(), 2);
      CHECK(touches(a, "users", TableUse::Write));

      a = c->describeAccess("CREATE INDEX IF NOT EXISTS pulses_user ON pulses (user_id)", nullptr, 0);
      CHECK(touches(a, "pulses", TableUse::Schema));

      if (b == Backend::Postgres) {  // what an import's rebuild runs there
        a = c->describeAccess("ANALYZE pulses, users", nullptr, 0);
        CHECK(touches(a, "pulses", TableUse::Write));
        CHECK(touches(a, "users", TableUse::Write));
        CHECK(a.unsupported.empty());
        CHECK_FALSE(c->describeAccess("ANALYZE", nullptr, 0).unsupported.empty());
      }

      // Nothing ran: the insert above did not store a row.
      CHECK(q(*c, "SELECT COUNT(*) FROM sessions").at(0, 0).i == 0);

      // The catalogs are catalogs.
      a = c->describeAccess(db.pick("SELECT name FROM sqlite_master WHERE type = 'table'",
                                    "SELECT table_name FROM information_schema.tables"),
                            nullptr, 0);
      REQUIRE_FALSE(a.tables.empty());
      CHECK(std::all_of(a.tables.begin(), a.tables.end(), [](const TableTouch& t) { return t.catalog; }));
    }
  }
}

TEST_CASE("only what a module owns or reads through a contract it uses is allowed", "[db][ownership]") {
  for (Backend b : backends()) {
    DYNAMIC_SECTION(backendName(b)) {
      TestDatabase db(b);
      {
        auto c = db.pool().acquire();
        createTables(db, *c);
      }
      TableOwnership own;
      own.open(db.pool());
      auto web = declared({"users", "sessions"}, {{"web.accounts", 1, {"users"}}});
      auto ingest = declared({"pulses"}, {{"ingest.xp", 1, {"pulses"}}}, {{"web.accounts", 1}});
      REQUIRE(own.checkLoad("web", web).empty());
      own.activate(db.pool(), "web", web);
      REQUIRE(own.checkLoad("ingest", ingest).empty());
      own.activate(db.pool(), "ingest", ingest);

      auto c = db.pool().acquire();
      auto deny = [&](const std::string& module, const DataDeclaration& d, const std::string& sql) {
        return own.denial(module, d, c->describeAccess(sql, nullptr, 0));
      };
      CHECK(deny("ingest", ingest, "SELECT p.amount FROM pulses p JOIN users u ON u.id = p.user_id").empty());
      CHECK(deny("ingest", ingest, "SELECT COUNT(*) FROM users").empty());
      CHECK(deny("ingest", ingest, "DELETE FROM users") ==
            "module ingest may not write table users: it is owned by web (write through its service)");
      CHECK(deny("ingest", ingest, "SELECT token FROM sessions") ==
            "module ingest may not read table sessions: it is owned by web and in no read contract");
      CHECK(deny("web", web, "DELETE FROM pulses WHERE user_id = 1") ==
            "module web may not write table pulses: it is owned by ingest (write through its service)");
      CHECK(deny("web", web, "SELECT amount FROM pulses") ==
            "module web may not read table pulses: it is owned by ingest and web does not use ingest.xp v1");
      CHECK(deny("web", web, "SELECT module FROM codestats_table_owners").find("it is the host's") !=
            std::string::npos);
      // A module built before ABI 1.4 is not checked.
      DataDeclaration legacy;
      CHECK(deny("old", legacy, "DELETE FROM users").empty());
    }
  }
}

TEST_CASE("loads that would break a contract or claim another module's table are refused", "[db][ownership]") {
  for (Backend b : backends()) {
    DYNAMIC_SECTION(backendName(b)) {
      TestDatabase db(b);
      TableOwnership own;
      own.open(db.pool());
      auto web = declared({"users"}, {{"web.accounts", 1, {"users"}}}, {{"ingest.xp", 1}});
      auto ingest = declared({"pulses"}, {{"ingest.xp", 1, {"pulses"}}}, {{"web.accounts", 1}});
      own.activate(db.pool(), "ingest", ingest);
      own.activate(db.pool(), "web", web);

      // Claiming web's table; the host's.
      CHECK(own.checkLoad("thief", declared({"users"})) == "table users is owned by web");
      CHECK(own.checkLoad("thief", declared({"codestats_migrations"})) ==
            "table codestats_migrations is owned by the host");
      // Publishing what it does not own, or under another module's name.
      CHECK(own.checkLoad("ingest", declared({"pulses"}, {{"ingest.xp", 1, {"users"}}})) ==
            "contract ingest.xp v1 lists table users, which ingest does not own");
      CHECK(own.checkLoad("ingest", declared({"pulses"}, {{"web.xp", 1, {"pulses"}}})) ==
            "contract web.xp must be named ingest.<name>");
      // A new ingest that publishes only v2 while web (loaded) uses v1.
      auto ingest2 = declared({"pulses"}, {{"ingest.xp", 2, {"pulses"}}}, {{"web.accounts", 1}});
      CHECK(own.checkLoad("ingest", ingest2) == "web uses ingest.xp v1, which this build of ingest does not publish");
      // Publishing both versions is fine.
      auto both =
          declared({"pulses"}, {{"ingest.xp", 1, {"pulses"}}, {"ingest.xp", 2, {"pulses"}}}, {{"web.accounts", 1}});
      CHECK(own.checkLoad("ingest", both).empty());
      // A consumer of a version the owner does not publish; ownership survives a restart
      // (a fresh registry reads what was recorded).
      TableOwnership again;
      again.open(db.pool());
      CHECK(again.checkLoad("cache", declared({}, {}, {{"ingest.xp", 3}})) ==
            "cache uses ingest.xp v3, which ingest does not publish (it publishes ingest.xp v1)");
      CHECK(again.ownerOf("users") == "web");
      // Once web is unloaded, ingest may stop publishing v1.
      own.deactivate("web");
      CHECK(own.checkLoad("ingest", ingest2).empty());
    }
  }
}
