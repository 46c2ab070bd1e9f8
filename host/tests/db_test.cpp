// Tests of the database layer. Every test runs on SQLite and, with PGTEST_URI set, on
// PostgreSQL (see support/test_databases.hpp and scripts/pgtest.sh).
#include <catch2/catch.hpp>

#include "db/database.hpp"
#include "db/sqlite_connection.hpp"

#include <sqlite3.h>
#include "support/db_values.hpp"
#include "support/test_databases.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace codestats::host::db;
using codestats::host::db::test::backends;
using codestats::host::db::test::TestDatabase;
using namespace codestats::host::db::test;  // I, T, R, B, N, q (support/db_values.hpp)
using namespace std::chrono_literals;

namespace {

int64_t count(Connection& c, const std::string& table) { return q(c, "SELECT COUNT(*) FROM " + table).at(0, 0).i; }

bool tableExists(TestDatabase& db, Connection& c, const std::string& table) {
  if (db.isPostgres()) return q(c, "SELECT to_regclass($1) IS NOT NULL", {T(table)}).at(0, 0).i == 1;
  return q(c, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1", {T(table)}).at(0, 0).i == 1;
}

DbError::Kind kindOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const DbError& e) {
    return e.kind();
  }
  FAIL("expected a DbError");
  return DbError::Kind::Generic;
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const DbError& e) {
    return e.what();
  }
  FAIL("expected a DbError");
  return "";
}

void createItems(TestDatabase& db, Connection& c) {
  c.execScript(db.pick("CREATE TABLE items (k TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)",
                       "CREATE TABLE items (k TEXT PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0)"));
}

// Collects failures on worker threads (Catch2 assertions are main-thread only).
struct Errors {
  std::mutex mu;
  std::vector<std::string> list;
  void add(const std::string& e) {
    std::lock_guard lock(mu);
    list.push_back(e);
  }
};

}  // namespace

TEST_CASE("every value type round-trips", "[db]") {
  FOR_EACH_TEST_DB(db) {
    auto c = db.pool().acquire();
    c->execScript(db.pick("CREATE TABLE vals (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB)",
                          "CREATE TABLE vals (id INTEGER PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, s TEXT, b BYTEA)"));
    const std::string utf8 = "h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80";
    const std::string blob("\0a\0\xff\x01\0", 6);
    const int64_t big = int64_t{1} << 62;
    struct Row {
      int64_t i;
      double r;
      std::string s;
      std::string b;
    };
    const std::vector<Row> rows = {
        {-1, 3.141592653589793, utf8, blob},
        {big, -0.1, "", std::string()},
        {-big, 1e300, "'quoted' \"x\" \\ $1", std::string("\0", 1)},
        {std::numeric_limits<int64_t>::max(), 5e-324, "tab\tnewline\n", "plain"},
        {std::numeric_limits<int64_t>::min(), -2.5e-10, "x", "y"},
    };
    for (size_t k = 0; k < rows.size(); ++k) {
      auto rs = q(*c, "INSERT INTO vals (id, i, r, s, b) VALUES ($1, $2, $3, $4, $5)",
                  {I(static_cast<int64_t>(k)), I(rows[k].i), R(rows[k].r), T(rows[k].s), B(rows[k].b)});
      CHECK(rs.affected == 1);
    }
    q(*c, "INSERT INTO vals (id, i, r, s, b) VALUES ($1, $2, $3, $4, $5)", {I(100), N(), N(), N(), N()});

    auto rs = q(*c, "SELECT id, i, r, s, b FROM vals WHERE id < $1 ORDER BY id", {I(100)});
    REQUIRE(rs.columns == std::vector<std::string>{"id", "i", "r", "s", "b"});
    REQUIRE(rs.rows() == rows.size());
    for (size_t k = 0; k < rows.size(); ++k) {
      INFO("row " << k);
      CHECK(rs.at(k, 0).type == CS_VAL_INT);
      CHECK(rs.at(k, 1).type == CS_VAL_INT);
      CHECK(rs.at(k, 1).i == rows[k].i);
      CHECK(rs.at(k, 2).type == CS_VAL_REAL);
      CHECK(rs.at(k, 2).d == rows[k].r);  // exact: doubles travel at full precision
      CHECK(rs.at(k, 3).type == CS_VAL_TEXT);
      CHECK(rs.at(k, 3).s == rows[k].s);
      CHECK(rs.at(k, 4).type == CS_VAL_BLOB);
      CHECK(rs.at(k, 4).s == rows[k].b);
    }

    auto nulls = q(*c, "SELECT i, r, s, b FROM vals WHERE id = $1", {I(100)});
    REQUIRE(nulls.rows() == 1);
    for (size_t col = 0; col < 4; ++col) CHECK(nulls.at(0, col).type == CS_VAL_NULL);

    // NULL parameters compare as NULL on both backends.
    CHECK(q(*c, "SELECT COUNT(*) FROM vals WHERE i IS NULL AND CAST($1 AS INTEGER) IS NULL", {N()}).at(0, 0).i == 1);

    // An empty result still names its columns.
    auto empty = q(*c, "SELECT id, s FROM vals WHERE id = $1", {I(-5)});
    CHECK(empty.rows() == 0);
    CHECK(empty.columns.size() == 2);
  }
}

TEST_CASE("PostgreSQL-specific types map to INT, REAL, BLOB and TEXT", "[db][postgres]") {
  FOR_EACH_TEST_DB(db) {
    if (!db.isPostgres()) continue;
    auto c = db.pool().acquire();
    auto rs = q(*c,
                "SELECT true AS t, false AS f, 7::smallint AS s, 8::int AS i, 9::oid AS o, 1.25::real AS fl, "
                "'12.5'::numeric AS n, '\\x00ff'::bytea AS b, '2024-01-02 03:04:05+02'::timestamptz AS ts, "
                "'{\"a\": 1}'::jsonb AS j, 'NaN'::float8 AS nan, 'Infinity'::float8 AS inf");
    REQUIRE(rs.rows() == 1);
    CHECK((rs.at(0, 0).type == CS_VAL_INT && rs.at(0, 0).i == 1));
    CHECK((rs.at(0, 1).type == CS_VAL_INT && rs.at(0, 1).i == 0));
    CHECK((rs.at(0, 2).type == CS_VAL_INT && rs.at(0, 2).i == 7));
    CHECK((rs.at(0, 3).type == CS_VAL_INT && rs.at(0, 3).i == 8));
    CHECK((rs.at(0, 4).type == CS_VAL_INT && rs.at(0, 4).i == 9));
    CHECK((rs.at(0, 5).type == CS_VAL_REAL && rs.at(0, 5).d == 1.25));
    CHECK((rs.at(0, 6).type == CS_VAL_REAL && rs.at(0, 6).d == 12.5));
    CHECK((rs.at(0, 7).type == CS_VAL_BLOB && rs.at(0, 7).s == std::string("\0\xff", 2)));
    CHECK((rs.at(0, 8).type == CS_VAL_TEXT && rs.at(0, 8).s == "2024-01-02 01:04:05+00"));
    CHECK((rs.at(0, 9).type == CS_VAL_TEXT && rs.at(0, 9).s == "{\"a\": 1}"));
    CHECK((rs.at(0, 10).type == CS_VAL_REAL && std::isnan(rs.at(0, 10).d)));
    CHECK((rs.at(0, 11).type == CS_VAL_REAL && std::isinf(rs.at(0, 11).d)));

    // Non-finite doubles go out as PostgreSQL spells them.
    auto back = q(*c, "SELECT $1::float8, $2::float8, $3::float8", {R(NAN), R(INFINITY), R(-INFINITY)});
    CHECK(std::isnan(back.at(0, 0).d));
    CHECK(back.at(0, 1).d == INFINITY);
    CHECK(back.at(0, 2).d == -INFINITY);

    // Text cannot carry NUL bytes on PostgreSQL: refused rather than truncated.
    CHECK(kindOf([&] { q(*c, "SELECT $1::text", {T(std::string_view("a\0b", 3))}); }) == DbError::Kind::Generic);
  }
}

TEST_CASE("placeholders may repeat, come out of order or go unused", "[db]") {
  FOR_EACH_TEST_DB(db) {
    auto c = db.pool().acquire();
    c->execScript(db.pick("CREATE TABLE p (a TEXT, b TEXT, c INTEGER)", "CREATE TABLE p (a TEXT, b TEXT, c BIGINT)"));
    // $2 before $1, $2 twice.
    q(*c, "INSERT INTO p (a, b, c) VALUES ($2, $1, length($2))", {T("first"), T("second")});
    auto rs = q(*c, "SELECT a, b, c FROM p");
    REQUIRE(rs.rows() == 1);
    CHECK(rs.at(0, 0).s == "second");
    CHECK(rs.at(0, 1).s == "first");
    CHECK(rs.at(0, 2).i == 6);

    CHECK(q(*c, "SELECT COUNT(*) FROM p WHERE a = $1 OR b = $1", {T("first")}).at(0, 0).i == 1);
    // More parameters than the SQL uses.
    CHECK(q(*c, "SELECT COUNT(*) FROM p WHERE a = $1", {T("second"), I(1), T("unused")}).at(0, 0).i == 1);
    // A gap: $2 is never referenced.
    CHECK(q(*c, "SELECT COUNT(*) FROM p WHERE a = $1 AND c = $3", {T("second"), T("gap"), I(6)}).at(0, 0).i == 1);
    // A "$1" inside a string literal or comment is not a placeholder.
    CHECK(q(*c, "SELECT '$1' AS lit -- and $9 here\n FROM p WHERE c = $1", {I(6)}).at(0, 0).s == "$1");

    // Fewer parameters than the SQL uses.
    auto kind = kindOf([&] { q(*c, "SELECT COUNT(*) FROM p WHERE a = $1 AND b = $3", {T("x"), T("y")}); });
    CHECK(kind == DbError::Kind::Generic);
    CHECK_THROWS_AS(q(*c, "SELECT COUNT(*) FROM p WHERE a = $1"), DbError);
    // Still fine with enough parameters afterwards.
    CHECK(q(*c, "SELECT COUNT(*) FROM p WHERE a = $1 AND b = $3", {T("second"), N(), T("first")}).at(0, 0).i == 1);
  }
}

TEST_CASE("one query runs one statement", "[db]") {
  FOR_EACH_TEST_DB(db) {
    auto c = db.pool().acquire();
    CHECK_THROWS_AS(q(*c, "SELECT 1; SELECT 2"), DbError);
    CHECK(q(*c, "SELECT 1 AS one; -- trailing comment\n").at(0, 0).i == 1);
    CHECK_THROWS_AS(q(*c, "SELECT nonsense FROM nowhere"), DbError);
    CHECK(q(*c, "SELECT 2 AS two").at(0, 0).i == 2);  // usable after errors
  }
}

TEST_CASE("prepared statements are reused with new parameters", "[db]") {
  FOR_EACH_TEST_DB(db) {
    auto c = db.pool().acquire();
    createItems(db, *c);
    for (int k = 0; k < 500; ++k) {
      auto rs = q(*c, "INSERT INTO items (k, n) VALUES ($1, $2)", {T("key" + std::to_string(k)), I(k * 3)});
      REQUIRE(rs.affected == 1);
    }
    for (int k = 0; k < 500; k += 7) {
      auto rs = q(*c, "SELECT n FROM items WHERE k = $1", {T("key" + std::to_string(k))});
      REQUIRE(rs.rows() == 1);
      REQUIRE(rs.at(0, 0).i == k * 3);
    }
    // More distinct statements than the per-connection cache holds: old ones are evicted
    // and prepared again when used again.
    for (int round = 0; round < 2; ++round) {
      for (int k = 0; k < 300; ++k) {
        auto rs = q(*c, "SELECT n + " + std::to_string(k) + " FROM items WHERE k = $1", {T("key1")});
        REQUIRE(rs.at(0, 0).i == 3 + k);
      }
    }
  }
}

TEST_CASE("cached statements survive schema changes made elsewhere", "[db]") {
  FOR_EACH_TEST_DB(db) {
    auto a = db.pool().acquire();
    auto b = db.pool().acquire();
    q(*a, "CREATE TABLE evolving (x INTEGER)");
    q(*a, "INSERT INTO evolving (x) VALUES ($1)", {I(1)});
    CHECK(q(*a, "SELECT * FROM evolving").columns.size() == 1);
    b->execScript("ALTER TABLE evolving ADD COLUMN y TEXT");  // another connection
    auto rs = q(*a, "SELECT * FROM evolving");                // the same cached SQL
    CHECK(rs.columns == std::vector<std::string>{"x", "y"});
    CHECK(rs.at(0, 1).type == CS_VAL_NULL);
    if (db.isPostgres()) {
      a->execScript("DEALLOCATE ALL");  // every server-side statement gone
      CHECK(q(*a, "SELECT * FROM evolving").rows() == 1);
    }
  }
}

TEST_CASE("affected counts rows changed by DML only", "[db]") {
  FOR_EACH_TEST_DB(db) {
    auto c = db.pool().acquire();
    createItems(db, *c);
    CHECK(q(*c, "INSERT INTO items (k) VALUES ($1), ($2), ($3)", {T("a"), T("b"), T("c")}).affected == 3);
    CHECK(q(*c, "UPDATE items SET n = n + 1").affected == 3);
    CHECK(q(*c, "UPDATE items SET n = 0 WHERE k = $1", {T("none")}).affected == 0);
    CHECK(q(*c, "SELECT * FROM items").affected == 0);
    auto ret = q(*c, "INSERT INTO items (k, n) VALUES ($1, $2) RETURNING k, n", {T("d"), I(4)});
    CHECK(ret.affected == 1);
    REQUIRE(ret.rows() == 1);
    CHECK(ret.at(0, 0).s == "d");
    CHECK(q(*c, "CREATE TABLE other (x INTEGER)").affected == 0);
    CHECK(q(*c, "DELETE FROM items WHERE k <> $1", {T("a")}).affected == 3);
    auto upsert =
        q(*c, "INSERT INTO items (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET n = excluded.n", {T("a"), I(42)});
    CHECK(upsert.affected == 1);
    CHECK(q(*c, "SELECT n FROM items WHERE k = $1", {T("a")}).at(0, 0).i == 42);
  }
}

TEST_CASE("a unique violation is a Conflict and the connection stays usable", "[db]") {
  FOR_EACH_TEST_DB(db) {
    auto c = db.pool().acquire();
    createItems(db, *c);
    q(*c, "INSERT INTO items (k) VALUES ($1)", {T("dup")});
    CHECK(kindOf([&] { q(*c, "INSERT INTO items (k) VALUES ($1)", {T("dup")}); }) == DbError::Kind::Conflict);
    CHECK(q(*c, "INSERT INTO items (k) VALUES ($1)", {T("other")}).affected == 1);
    CHECK(count(*c, "items") == 2);

    // Other constraint failures are not conflicts.
    CHECK(kindOf([&] { q(*c, "INSERT INTO items (k, n) VALUES ($1, NULL)", {T("nn")}); }) == DbError::Kind::Generic);

    // Inside a transaction: the error leaves the transaction to roll back.
    c->begin();
    CHECK(kindOf([&] { q(*c, "INSERT INTO items (k) VALUES ($1)", {T("dup")}); }) == DbError::Kind::Conflict);
    c->rollback();
    CHECK(count(*c, "items") == 2);
  }
}

TEST_CASE("transactions commit and roll back", "[db]") {
  FOR_EACH_TEST_DB(db) {
    auto c = db.pool().acquire();
    auto other = db.pool().acquire();
    createItems(db, *c);

    c->begin();
    q(*c, "INSERT INTO items (k) VALUES ($1)", {T("committed")});
    c->commit();
    CHECK(q(*other, "SELECT COUNT(*) FROM items WHERE k = $1", {T("committed")}).at(0, 0).i == 1);

    c->begin();
    q(*c, "INSERT INTO items (k) VALUES ($1)", {T("rolled back")});
    CHECK(count(*c, "items") == 2);  // visible inside
    c->rollback();
    CHECK(count(*c, "items") == 1);
    CHECK(count(*other, "items") == 1);

    c->rollback();  // no transaction open: harmless
    c->begin();     // and a new one starts normally
    c->commit();
  }
}

TEST_CASE("a connection returned inside a transaction comes back clean", "[db]") {
  FOR_EACH_TEST_DB(db) {
    DbConfig cfg = db.config();
    cfg.poolSize = 1;  // the next acquire() must get the same connection
    auto pool = Pool::open(cfg);
    {
      auto c = pool->acquire();
      createItems(db, *c);
    }
    {
      auto c = pool->acquire();
      c->begin();
      q(*c, "INSERT INTO items (k) VALUES ($1)", {T("abandoned")});
      // dropped without commit/rollback, as after an exception
    }
    {
      auto c = pool->acquire();
      CHECK(count(*c, "items") == 0);
      c->begin();  // would fail if the old transaction were still open
      q(*c, "INSERT INTO items (k) VALUES ($1)", {T("kept")});
      c->commit();
    }
    if (db.isPostgres()) {
      auto c = pool->acquire();
      c->begin();
      CHECK_THROWS_AS(q(*c, "SELECT * FROM missing_table"), DbError);  // aborts the transaction
    }
    auto c = pool->acquire();
    CHECK(count(*c, "items") == 1);
  }
}

TEST_CASE("write leases: one at a time, returned clean, durable through syncThrough", "[db]") {
  FOR_EACH_TEST_DB(db) {
    auto pool = Pool::open(db.config());
    {
      auto c = pool->acquireWriter();
      createItems(db, *c);
    }
    {
      auto w = pool->acquireWriter();
      w->begin();
      q(*w, "INSERT INTO items (k) VALUES ($1)", {T("abandoned")});
      // dropped without commit/rollback, as after an exception
    }
    uint64_t position = 0;
    {
      auto w = pool->acquireWriter();
      w->begin();  // would fail if the abandoned transaction were still open
      q(*w, "INSERT INTO items (k) VALUES ($1)", {T("kept")});
      position = w->commitDeferringSync();
    }
    pool->syncThrough(position);
    auto r = pool->acquire();
    CHECK(count(*r, "items") == 1);
  }
}

TEST_CASE("the pool blocks when exhausted and times out", "[db][pool]") {
  FOR_EACH_TEST_DB(db) {
    SECTION("a waiter gets the connection released by another holder") {
      DbConfig cfg = db.config();
      cfg.poolSize = 2;
      cfg.acquireTimeout = 5000ms;
      auto pool = Pool::open(cfg);
      std::optional<Pool::Lease> first(pool->acquire());
      auto second = pool->acquire();

      std::atomic<bool> got{false}, released{false}, gotBeforeRelease{false};
      std::string error;
      std::thread third([&] {
        try {
          auto lease = pool->acquire();
          gotBeforeRelease = !released.load();
          got = true;
          lease->query("SELECT 1", nullptr, 0);
        } catch (const std::exception& e) {
          error = e.what();
        }
      });
      std::this_thread::sleep_for(300ms);
      CHECK_FALSE(got.load());  // still waiting: both connections are held
      released = true;
      first.reset();  // release one
      third.join();
      CHECK(error.empty());
      CHECK(got.load());
      CHECK_FALSE(gotBeforeRelease.load());  // it got the released connection, not another
    }
    SECTION("with none released the waiter gets PoolTimeout") {
      DbConfig cfg = db.config();
      cfg.poolSize = 2;
      cfg.acquireTimeout = 300ms;
      auto pool = Pool::open(cfg);
      auto a = pool->acquire();
      auto b = pool->acquire();
      const auto start = std::chrono::steady_clock::now();
      std::string msg;
      DbError::Kind kind = DbError::Kind::Generic;
      try {
        pool->acquire();
      } catch (const DbError& e) {
        kind = e.kind();
        msg = e.what();
      }
      const auto waited = std::chrono::steady_clock::now() - start;
      CHECK(kind == DbError::Kind::PoolTimeout);
      CHECK_THAT(msg, Catch::Contains("database pool exhausted"));
      CHECK(waited >= 290ms);
      CHECK(waited < 3s);
    }
  }
}

TEST_CASE("concurrent inserts through the pool are all counted", "[db][concurrency]") {
  FOR_EACH_TEST_DB(db) {
    {
      auto c = db.pool().acquire();
      c->execScript(db.pick("CREATE TABLE hits (id INTEGER PRIMARY KEY AUTOINCREMENT, worker INTEGER, seq INTEGER)",
                            "CREATE TABLE hits (id BIGSERIAL PRIMARY KEY, worker INTEGER, seq INTEGER)"));
    }
    constexpr int kThreads = 8, kInserts = 200;
    Errors errors;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int k = 0; k < kInserts; ++k) {
          try {
            auto c = db.pool().acquire();  // 4 connections for 8 threads
            auto rs = q(*c, "INSERT INTO hits (worker, seq) VALUES ($1, $2)", {I(t), I(k)});
            if (rs.affected != 1) errors.add("affected " + std::to_string(rs.affected));
          } catch (const std::exception& e) {
            errors.add(e.what());
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    INFO((errors.list.empty() ? std::string() : errors.list.front()));
    CHECK(errors.list.empty());
    auto c = db.pool().acquire();
    CHECK(count(*c, "hits") == kThreads * kInserts);
    CHECK(q(*c, "SELECT COUNT(DISTINCT worker) FROM hits").at(0, 0).i == kThreads);
  }
}

TEST_CASE("concurrent transactions serialise their writes", "[db][concurrency]") {
  FOR_EACH_TEST_DB(db) {
    {
      auto c = db.pool().acquire();
      createItems(db, *c);
      q(*c, "INSERT INTO items (k, n) VALUES ($1, 0)", {T("counter")});
    }
    constexpr int kThreads = 4, kIncrements = 50;
    Errors errors;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int k = 0; k < kIncrements; ++k) {
          try {
            auto c = db.pool().acquire();
            c->begin();
            // Read-modify-write: correct only if the transactions do not interleave.
            // SQLite has no FOR UPDATE; its BEGIN IMMEDIATE already took the write lock.
            const char* read =
                db.pick("SELECT n FROM items WHERE k = $1", "SELECT n FROM items WHERE k = $1 FOR UPDATE");
            int64_t n = q(*c, read, {T("counter")}).at(0, 0).i;
            q(*c, "UPDATE items SET n = $1 WHERE k = $2", {I(n + 1), T("counter")});
            c->commit();
          } catch (const std::exception& e) {
            errors.add(e.what());
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    INFO((errors.list.empty() ? std::string() : errors.list.front()));
    CHECK(errors.list.empty());
    auto c = db.pool().acquire();
    CHECK(q(*c, "SELECT n FROM items WHERE k = $1", {T("counter")}).at(0, 0).i == kThreads * kIncrements);
  }
}

TEST_CASE("migrations apply once, in order, atomically", "[db][migrations]") {
  FOR_EACH_TEST_DB(db) {
    auto& pool = db.pool();
    std::vector<Migration> ms = {
        // Given out of order: applied by version.
        {2, "add notes", "CREATE TABLE m_notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES m_users(id));",
         "CREATE TABLE m_notes (id BIGINT PRIMARY KEY, user_id BIGINT REFERENCES m_users(id));"},
        {1, "add users",
         "CREATE TABLE m_users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO m_users (id, name) VALUES (1, 'root');",
         "CREATE TABLE m_users (id BIGINT PRIMARY KEY, name TEXT); INSERT INTO m_users (id, name) VALUES (1, 'root');"},
    };
    auto report = applyMigrations(pool, "notes", ms);
    CHECK(report.applied == std::vector<int64_t>{1, 2});
    {
      auto c = pool.acquire();
      CHECK(count(*c, "m_users") == 1);
      auto rec = q(*c, "SELECT version, name, applied_at FROM codestats_migrations WHERE module = $1 ORDER BY version",
                   {T("notes")});
      REQUIRE(rec.rows() == 2);
      CHECK(rec.at(0, 1).s == "add users");
      CHECK(rec.at(1, 0).i == 2);
      const int64_t nowMs =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      CHECK(std::abs(rec.at(0, 2).i - nowMs) < 60000);
    }

    // Re-applying is a no-op.
    CHECK(applyMigrations(pool, "notes", ms).applied.empty());

    // Another module's versions are independent.
    CHECK(applyMigrations(pool, "other",
                          {{1, "other one", "CREATE TABLE m_other (x INTEGER);", "CREATE TABLE m_other (x INTEGER);"}})
              .applied == std::vector<int64_t>{1});

    // A new version applies only that one.
    ms.push_back({3, "add tags", "CREATE TABLE m_tags (t TEXT);", "CREATE TABLE m_tags (t TEXT);"});
    CHECK(applyMigrations(pool, "notes", ms).applied == std::vector<int64_t>{3});

    // A failing migration leaves neither its tables nor its record, and names itself.
    ms.push_back({4, "broken", "CREATE TABLE m_half (x INTEGER); INSERT INTO m_missing VALUES (1);",
                  "CREATE TABLE m_half (x INTEGER); INSERT INTO m_missing VALUES (1);"});
    ms.push_back({5, "after broken", "CREATE TABLE m_after (x INTEGER);", "CREATE TABLE m_after (x INTEGER);"});
    const std::string msg = messageOf([&] { applyMigrations(pool, "notes", ms); });
    CHECK_THAT(msg, Catch::StartsWith("migration notes v4 (broken) failed: "));
    CHECK_THAT(msg, Catch::Contains("m_missing"));
    {
      auto c = pool.acquire();
      CHECK_FALSE(tableExists(db, *c, "m_half"));
      CHECK_FALSE(tableExists(db, *c, "m_after"));  // later versions are not attempted
      CHECK(tableExists(db, *c, "m_tags"));
      CHECK(q(*c, "SELECT MAX(version) FROM codestats_migrations WHERE module = $1", {T("notes")}).at(0, 0).i == 3);
    }

    // Fixed, it applies (and the next one with it).
    ms[3].sqlSqlite = ms[3].sqlPostgres = "CREATE TABLE m_half (x INTEGER);";
    CHECK(applyMigrations(pool, "notes", ms).applied == std::vector<int64_t>{4, 5});
  }
}

TEST_CASE("duplicate migration versions are rejected", "[db][migrations]") {
  FOR_EACH_TEST_DB(db) {
    std::vector<Migration> ms = {{1, "a", "SELECT 1;", "SELECT 1;"}, {1, "b", "SELECT 2;", "SELECT 2;"}};
    const std::string msg = messageOf([&] { applyMigrations(db.pool(), "dups", ms); });
    CHECK_THAT(msg, Catch::Contains("version 1"));
  }
}

TEST_CASE("two hosts migrating at once apply each migration once", "[db][migrations][concurrency]") {
  FOR_EACH_TEST_DB(db) {
    for (int round = 0; round < 5; ++round) {
      const std::string module = "race" + std::to_string(round);
      std::vector<Migration> ms;
      for (int v = 1; v <= 3; ++v) {
        // Plain CREATE TABLE: a second application would fail.
        std::string sql = "CREATE TABLE " + module + "_t" + std::to_string(v) + " (x INTEGER);";
        ms.push_back({v, "table " + std::to_string(v), sql, sql});
      }
      auto poolA = Pool::open(db.config());  // two pools: two hosts
      auto poolB = Pool::open(db.config());
      MigrationReport ra, rb;
      std::string ea, eb;
      std::thread a([&] {
        try {
          ra = applyMigrations(*poolA, module, ms);
        } catch (const std::exception& e) {
          ea = e.what();
        }
      });
      std::thread b([&] {
        try {
          rb = applyMigrations(*poolB, module, ms);
        } catch (const std::exception& e) {
          eb = e.what();
        }
      });
      a.join();
      b.join();
      INFO("round " << round << ": " << ea << eb);
      CHECK(ea.empty());
      CHECK(eb.empty());
      std::vector<int64_t> all = ra.applied;
      all.insert(all.end(), rb.applied.begin(), rb.applied.end());
      std::sort(all.begin(), all.end());
      CHECK(all == std::vector<int64_t>{1, 2, 3});
      auto c = poolA->acquire();
      CHECK(q(*c, "SELECT COUNT(*) FROM codestats_migrations WHERE module = $1", {T(module)}).at(0, 0).i == 3);
    }
  }
}

TEST_CASE("SQLite gives up on a held write lock after the busy timeout", "[db][sqlite]") {
  FOR_EACH_TEST_DB(db) {
    if (db.isPostgres()) continue;
    DbConfig cfg = db.config();
    cfg.busyTimeout = 200ms;
    auto pool = Pool::open(cfg);
    auto holder = pool->acquire();
    auto waiter = pool->acquire();
    holder->begin();  // BEGIN IMMEDIATE: holds the write lock
    const auto start = std::chrono::steady_clock::now();
    std::string msg;
    DbError::Kind kind = DbError::Kind::Conflict;
    try {
      waiter->begin();
    } catch (const DbError& e) {
      msg = e.what();
      kind = e.kind();
    }
    CHECK(kind == DbError::Kind::Generic);
    CHECK_THAT(msg, Catch::Contains("locked") && Catch::Contains("busy timeout"));
    CHECK(std::chrono::steady_clock::now() - start >= 150ms);
    holder->rollback();
    waiter->begin();  // free again
    waiter->commit();
  }
}

TEST_CASE("SQLite settings: WAL, synchronous, foreign keys", "[db][sqlite]") {
  FOR_EACH_TEST_DB(db) {
    if (db.isPostgres()) continue;
    DbConfig cfg = db.config();
    cfg.sqliteSynchronous = DbConfig{}.sqliteSynchronous;
    {
      // FULL, the default: durable when a commit returns, kept by an fdatasync of the WAL
      // after SQLite's own commit in NORMAL mode (docs/decisions.md).
      auto full = Pool::open(cfg);
      auto c = full->acquire();
      CHECK(q(*c, "PRAGMA synchronous").at(0, 0).i == 1);
      CHECK(dynamic_cast<SqliteConnection&>(*c).syncsWalAfterCommit());
    }
    cfg.sqliteSynchronous = "normal";
    auto pool = Pool::open(cfg);
    auto c = pool->acquire();
    CHECK(q(*c, "PRAGMA journal_mode").at(0, 0).s == "wal");
    CHECK(q(*c, "PRAGMA synchronous").at(0, 0).i == 1);  // NORMAL
    CHECK_FALSE(dynamic_cast<SqliteConnection&>(*c).syncsWalAfterCommit());
    CHECK(q(*c, "PRAGMA foreign_keys").at(0, 0).i == 1);
    q(*c, "CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    q(*c, "CREATE TABLE child (parent_id INTEGER REFERENCES parent(id))");
    CHECK_THROWS_AS(q(*c, "INSERT INTO child VALUES ($1)", {I(7)}), DbError);
    CHECK_THAT(pool->describe(), Catch::StartsWith("sqlite:/") && Catch::EndsWith("test.db"));
    CHECK(pool->backend() == Backend::Sqlite);
    // Placeholders other than $N would not run on PostgreSQL: refused.
    CHECK_THROWS_AS(q(*c, "SELECT ?", {I(1)}), DbError);
    CHECK_THROWS_AS(q(*c, "SELECT :name", {I(1)}), DbError);
    CHECK_THAT(messageOf([&] { q(*c, "SELECT $1::integer", {I(1)}); }), Catch::Contains("CAST($N AS type)"));
  }
}

TEST_CASE("PostgreSQL sessions run in UTC", "[db][postgres]") {
  FOR_EACH_TEST_DB(db) {
    if (!db.isPostgres()) continue;
    DbConfig cfg = db.config();
    cfg.postgresConninfo = db.baseUri();  // no options: the pool adds TimeZone=UTC
    auto pool = Pool::open(cfg);
    auto c = pool->acquire();
    auto rs = q(*c, "SELECT current_setting('TimeZone'), source FROM pg_settings WHERE name = 'TimeZone'");
    CHECK(rs.at(0, 0).s == "UTC");
    CHECK(rs.at(0, 1).s == "client");  // set by our connection options, not the server's config
    CHECK(q(*c, "SELECT '2024-06-01 12:00:00+02'::timestamptz::text").at(0, 0).s == "2024-06-01 10:00:00+00");

    // A conninfo with its own options keeps them.
    cfg.postgresConninfo = db.baseUri() + " options=-cTimeZone=Asia/Tokyo";
    auto tokyo = Pool::open(cfg);
    CHECK(q(*tokyo->acquire(), "SHOW TimeZone").at(0, 0).s == "Asia/Tokyo");

    CHECK_THAT(pool->describe(), Catch::StartsWith("postgres:") && !Catch::Contains("password"));
    CHECK(pool->backend() == Backend::Postgres);
  }
}

TEST_CASE("a lost PostgreSQL connection is reported and replaced", "[db][postgres]") {
  FOR_EACH_TEST_DB(db) {
    if (!db.isPostgres()) continue;
    DbConfig cfg = db.config();
    cfg.poolSize = 2;
    auto pool = Pool::open(cfg);
    {
      auto victim = pool->acquire();
      auto killer = pool->acquire();
      const int64_t pid = q(*victim, "SELECT pg_backend_pid()").at(0, 0).i;
      // With a timeout, pg_terminate_backend returns once the backend is gone (not when the
      // signal was sent): nothing depends on how soon the backend gets to run.
      REQUIRE(q(*killer, "SELECT pg_terminate_backend($1::int, 60000)", {I(pid)}).at(0, 0).i == 1);
      CHECK(kindOf([&] { q(*victim, "SELECT pg_backend_pid()"); }) == DbError::Kind::Connection);
      CHECK_FALSE(victim->healthy());
      CHECK_NOTHROW(victim->rollback());  // nothing to roll back on a dead connection
    }
    // The dead connection was dropped; both slots work again.
    auto a = pool->acquire();
    auto b = pool->acquire();
    CHECK(q(*a, "SELECT 1").at(0, 0).i == 1);
    CHECK(q(*b, "SELECT 1").at(0, 0).i == 1);

    // An idle connection killed while in the pool is noticed before it is handed out.
    const int64_t pid = q(*a, "SELECT pg_backend_pid()").at(0, 0).i;
    { auto released = std::move(a); }
    REQUIRE(q(*b, "SELECT pg_terminate_backend($1::int, 60000)", {I(pid)}).at(0, 0).i == 1);
    std::this_thread::sleep_for(100ms);  // gone from the process table; its socket closes as it exits
    auto fresh = pool->acquire();
    CHECK(q(*fresh, "SELECT pg_backend_pid()").at(0, 0).i != pid);
  }
}

TEST_CASE("PostgreSQL: an aborted transaction cannot be committed", "[db][postgres]") {
  FOR_EACH_TEST_DB(db) {
    if (!db.isPostgres()) continue;
    auto c = db.pool().acquire();
    createItems(db, *c);
    c->begin();
    q(*c, "INSERT INTO items (k) VALUES ($1)", {T("lost")});
    CHECK_THROWS_AS(q(*c, "SELECT * FROM missing_table"), DbError);
    CHECK_THROWS_AS(c->commit(), DbError);
    CHECK(count(*c, "items") == 0);
  }
}

TEST_CASE("bad configurations fail with Connection errors that hide the password", "[db]") {
  auto connectionError = [](const DbConfig& cfg) {
    try {
      Pool::open(cfg);
    } catch (const DbError& e) {
      CHECK(e.kind() == DbError::Kind::Connection);
      return std::string(e.what());
    }
    FAIL("Pool::open succeeded");
    return std::string();
  };

  SECTION("sqlite") {
    const auto dir = std::filesystem::temp_directory_path() / ("codestats-badcfg-" + test::uniqueSuffix());
    std::filesystem::create_directories(dir);
    { std::ofstream(dir / "regular-file") << "x"; }
    DbConfig cfg;
    cfg.backend = Backend::Sqlite;

    cfg.sqlitePath = (dir / "regular-file" / "sub" / "x.db").string();  // parent is a file
    CHECK_THAT(connectionError(cfg), Catch::Contains("regular-file"));

    cfg.sqlitePath = (dir / "not-a-db").string();
    { std::ofstream(cfg.sqlitePath) << std::string(4096, 'z'); }
    CHECK_THAT(connectionError(cfg), Catch::Contains("not-a-db"));

    cfg.sqlitePath = ":memory:";
    CHECK_THAT(connectionError(cfg), Catch::Contains(":memory:"));

    cfg.sqlitePath = (dir / "ok.db").string();
    cfg.sqliteSynchronous = "SOMETIMES";
    CHECK_THAT(connectionError(cfg), Catch::Contains("SOMETIMES"));

    cfg.sqliteSynchronous = "FULL";
    cfg.sqlitePath = (dir / "new" / "nested" / "ok.db").string();  // parents are created
    CHECK_NOTHROW(Pool::open(cfg));
    std::filesystem::remove_all(dir);
  }

  SECTION("postgres") {
    DbConfig cfg;
    cfg.backend = Backend::Postgres;
    cfg.postgresConninfo = "host=127.0.0.1 port=1 user=app password=s3cr3t-pw dbname=app connect_timeout=3";
    std::string msg = connectionError(cfg);
    CHECK_THAT(msg, Catch::Contains("127.0.0.1") && !Catch::Contains("s3cr3t-pw"));

    cfg.postgresConninfo = "host=127.0.0.1 password s3cr3t-pw";  // malformed
    msg = connectionError(cfg);
    CHECK_THAT(msg, !Catch::Contains("s3cr3t-pw"));

    cfg.postgresConninfo = "host=127.0.0.1 pasword=s3cr3t-pw";  // unknown keyword
    msg = connectionError(cfg);
    CHECK_THAT(msg, Catch::Contains("pasword") && !Catch::Contains("s3cr3t-pw"));

    cfg.postgresConninfo = "postgresql://app:s3cr3t-pw@127.0.0.1:1/app?connect_timeout=3";
    msg = connectionError(cfg);
    CHECK_THAT(msg, !Catch::Contains("s3cr3t-pw"));

    const std::string uri = test::envOrEmpty("PGTEST_URI");
    if (!uri.empty()) {
      cfg.postgresConninfo = uri + " dbname=no_such_db_here password='s3cr3t pw'";
      msg = connectionError(cfg);
      CHECK_THAT(msg, Catch::Contains("no_such_db_here") && !Catch::Contains("s3cr3t"));
    }
  }

  SECTION("pool size") {
    DbConfig cfg;
    cfg.poolSize = 0;
    cfg.sqlitePath = "/tmp/never-created.db";
    CHECK_THAT(connectionError(cfg), Catch::Contains("pool size"));
  }
}

namespace {

// The default VFS with xOpen counting statement-journal files (SQLITE_OPEN_SUBJOURNAL).
struct SubjournalCountingVfs {
  static inline sqlite3_vfs* real = nullptr;
  static inline std::atomic<int> opens{0};
  sqlite3_vfs vfs{};
  SubjournalCountingVfs() {
    real = sqlite3_vfs_find(nullptr);
    vfs = *real;
    vfs.zName = "codestats-subjournal-count";
    vfs.xOpen = [](sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
      if (flags & SQLITE_OPEN_SUBJOURNAL) ++opens;
      return real->xOpen(real, name, f, flags, out);
    };
    sqlite3_vfs_register(&vfs, 1);
  }
  ~SubjournalCountingVfs() {
    sqlite3_vfs_unregister(&vfs);
    sqlite3_vfs_register(real, 1);
  }
};

}  // namespace

TEST_CASE("SQLite statement journals stay in memory: no temp file per multi-row statement", "[db][sqlite]") {
  TestDatabase db(Backend::Sqlite);
  db.pool();  // the first connection of this process applies the setting (if no test did before)
  REQUIRE(SqliteConnection::statementJournalsInMemory());
  SubjournalCountingVfs counting;  // from now on the default VFS
  auto pool = Pool::open(db.config());
  auto c = pool->acquire();
  q(*c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)");
  c->begin();
  // Dirty ~150 pages in this transaction, then rewrite all of them with one statement that
  // may abort half-way (UNIQUE): SQLite journals their old content for that statement,
  // far more than its default 64 KiB in-memory limit.
  for (int i = 0; i < 2000; ++i) q(*c, "INSERT INTO t (id, v) VALUES ($1, printf('%0200d', $1))", {I(i)});
  q(*c, "UPDATE t SET v = v || 'x'");
  c->commit();
  CHECK(q(*c, "SELECT COUNT(*) FROM t WHERE v LIKE '%x'").at(0, 0).i == 2000);
  CHECK(SubjournalCountingVfs::opens == 0);
}
