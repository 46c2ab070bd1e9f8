// The SQLite VFS that gathers a commit's WAL writes into one write (db/WalWriteCoalescing):
// fewer writes, and every committed transaction visible to other connections (also ones on
// the default VFS) and intact after the pool is gone, in both synchronous modes, including
// transactions that spill to the WAL before their commit and read their pages back.
#include <catch2/catch.hpp>

#include "db/database.hpp"
#include "db/wal_write_coalescing.hpp"

#include <sqlite3.h>
#include "support/db_values.hpp"
#include "support/test_databases.hpp"

#include <string>
#include <vector>

using namespace codestats::host::db;
using codestats::host::db::test::TestDatabase;
using namespace codestats::host::db::test;  // I, T, R, B, N, q (support/db_values.hpp)

namespace {

// A plain connection on SQLite's default VFS, as another process (the sqlite3 shell, a
// backup) would open the file.
struct PlainReader {
  sqlite3* db = nullptr;
  explicit PlainReader(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  }
  ~PlainReader() { sqlite3_close_v2(db); }
  std::string one(const char* sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
  }
};

}  // namespace

TEST_CASE("SQLite WAL writes: a commit reaches the file in one write and is visible at once", "[db][sqlite]") {
  for (const char* sync : {"FULL", "NORMAL"}) {
    SECTION(sync) {
      TestDatabase db(Backend::Sqlite);
      DbConfig cfg = db.config();
      cfg.sqliteSynchronous = sync;
      auto pool = Pool::open(cfg);
      REQUIRE(walWriteCoalescingVfs() != nullptr);
      auto c = pool->acquire();
      q(*c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
      PlainReader reader(cfg.sqlitePath);
      for (int round = 1; round <= 5; ++round) {
        WalWriteCounts before = walWriteCounts();
        c->begin();
        // ~25 pages: 25+ frames of 4 KiB, i.e. 50+ writes issued by SQLite.
        for (int i = 0; i < 100; ++i)
          q(*c, "INSERT INTO t (id, v) VALUES ($1, printf('%0900d', $1))", {I(round * 1000 + i)});
        c->commit();
        WalWriteCounts after = walWriteCounts();
        CHECK(after.issued - before.issued >= 50);
        // ~100 KiB of frames in one write (pieces of at most 124 KiB), plus the header when
        // the WAL restarts.
        CHECK(after.written - before.written <= 2);
        // Another connection on the default VFS sees the commit without any further call.
        CHECK(reader.one("SELECT COUNT(*) FROM t") == std::to_string(round * 100));
      }
    }
  }
}

TEST_CASE("SQLite WAL writes: a transaction larger than the page cache spills, reads back and commits intact",
          "[db][sqlite]") {
  TestDatabase db(Backend::Sqlite);
  DbConfig cfg = db.config();
  cfg.sqliteSynchronous = "FULL";
  {
    auto pool = Pool::open(cfg);
    auto c = pool->acquire();
    q(*c, "PRAGMA cache_size = 20");  // pages: forces frames into the WAL before the commit
    q(*c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    c->begin();
    for (int i = 0; i < 3000; ++i) q(*c, "INSERT INTO t (id, v) VALUES ($1, printf('%0300d', $1))", {I(i)});
    q(*c, "UPDATE t SET v = v || 'x'");  // rewrites (and first reads back) every spilled page
    c->commit();
    c->begin();
    q(*c, "DELETE FROM t WHERE id % 3 = 0");
    c->rollback();  // a rolled back spill must leave no trace
    CHECK(q(*c, "SELECT COUNT(*) FROM t WHERE v LIKE '%x'").at(0, 0).i == 3000);
  }
  PlainReader reader(cfg.sqlitePath);  // after every connection of the pool closed
  CHECK(reader.one("PRAGMA integrity_check") == "ok");
  CHECK(reader.one("SELECT COUNT(*) FROM t WHERE v LIKE '%x'") == "3000");
  CHECK(reader.one("SELECT SUM(id) FROM t") == std::to_string(2999 * 3000 / 2));
}
