// SQLite commits with synchronous=FULL (docs/decisions.md, ingest rounds 3 and 4): the WAL
// is synced by the host after the write lock is released, one sync covering every commit
// before it; checkpoints run on a host thread; the transactions of one pool queue for the
// write lock in-process and run on one writer connection.
#include <catch2/catch.hpp>

#include "db/database.hpp"
#include "db/sqlite_connection.hpp"
#include "db/sqlite_wal.hpp"

#include <sqlite3.h>

#include "support/db_values.hpp"
#include "support/test_databases.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

using namespace codestats::host::db;
using codestats::host::db::test::TestDatabase;
using namespace codestats::host::db::test;  // I, T, R, B, N, q (support/db_values.hpp)
using namespace std::chrono_literals;

namespace {

// Polls `done` for up to 10 s (the checkpointer runs on its own thread).
template <class F>
bool eventually(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

int cacheMisses(Connection& c) {
  int current = 0, highwater = 0;
  sqlite3_db_status(dynamic_cast<SqliteConnection&>(c).handle(), SQLITE_DBSTATUS_CACHE_MISS, &current, &highwater, 0);
  return current;
}

}  // namespace

TEST_CASE("SQLite FULL: the WAL is checkpointed into the database file after commits", "[db][sqlite]") {
  TestDatabase db(Backend::Sqlite);
  DbConfig cfg = db.config();
  cfg.sqliteSynchronous = "FULL";
  cfg.sqliteCheckpointFrames = 1000;
  auto pool = Pool::open(cfg);
  auto c = pool->acquire();
  REQUIRE(dynamic_cast<SqliteConnection&>(*c).syncsWalAfterCommit());
  q(*c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  const auto dbFile = std::filesystem::path(cfg.sqlitePath);
  const auto before = std::filesystem::file_size(dbFile);
  // ~1,500 pages in 30 commits: past the 1,000-frame threshold, so the checkpointer copies
  // pages into the database file (until then they are only in the WAL).
  for (int k = 0; k < 30; ++k) {
    c->begin();
    for (int i = 0; i < 50; ++i) q(*c, "INSERT INTO t (id, v) VALUES ($1, printf('%03900d', $1))", {I(k * 100 + i)});
    c->commit();
  }
  CHECK(eventually([&] { return std::filesystem::file_size(dbFile) > before + 500 * 4096; }));
  CHECK(q(*c, "SELECT COUNT(*) FROM t").at(0, 0).i == 1500);
  CHECK(q(*c, "PRAGMA integrity_check").at(0, 0).s == "ok");
}

TEST_CASE("SQLite: transactions of one pool queue for the write lock, no lost update, no busy error", "[db][sqlite]") {
  TestDatabase db(Backend::Sqlite);
  DbConfig cfg = db.config();
  cfg.sqliteSynchronous = "FULL";
  auto pool = Pool::open(cfg);
  {
    auto c = pool->acquire();
    q(*c, "CREATE TABLE n (v INTEGER NOT NULL)");
  }
  // Four threads each run 25 transactions that read and increment one counter: every
  // transaction must see the previous one's value (no lost update, no busy error).
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int k = 0; k < 25; ++k) {
        try {
          auto c = pool->acquire();
          c->begin();
          auto r = q(*c, "SELECT COUNT(*) FROM n");
          q(*c, "INSERT INTO n (v) VALUES ($1)", {I(r.at(0, 0).i + 1)});
          c->commit();
        } catch (...) {
          ++failures;
        }
      }
    });
  for (auto& t : threads) t.join();
  auto c = pool->acquire();
  CHECK(failures == 0);
  CHECK(q(*c, "SELECT COUNT(*), COUNT(DISTINCT v), MAX(v) FROM n").at(0, 1).i == 100);
  CHECK(q(*c, "SELECT MAX(v) FROM n").at(0, 0).i == 100);
}

TEST_CASE("SQLite: write transactions run on one writer connection whose page cache survives commits", "[db][sqlite]") {
  TestDatabase db(Backend::Sqlite);
  auto pool = Pool::open(db.config());
  auto reader = pool->acquire();  // a reader lease held throughout: the writer is another connection
  q(*reader, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  {
    auto w = pool->acquireWriter();
    w->begin();
    for (int i = 0; i < 400; ++i) q(*w, "INSERT INTO t (id, v) VALUES ($1, printf('%0500d', $1))", {I(i)});
    w->commit();
  }
  Connection* first = nullptr;
  int missesAfterFirstRead = 0;
  for (int round = 0; round < 3; ++round) {
    auto w = pool->acquireWriter();
    CHECK(&*w != &*reader);
    if (!first) first = &*w;
    CHECK(&*w == first);  // the same connection every time
    w->begin();
    q(*w, "SELECT SUM(LENGTH(v)) FROM t");  // every page of t
    q(*w, "UPDATE t SET v = $1 WHERE id = $2", {T("x"), I(round)});
    if (round == 0) missesAfterFirstRead = cacheMisses(*w);
    w->commit();
    // Its own commits leave its cache valid: later rounds read every page again without a miss.
    if (round > 0) CHECK(cacheMisses(*w) == missesAfterFirstRead);
  }

  // A second writer waits for the lease, in this process, and then gets the same connection.
  std::atomic<bool> acquired{false};
  std::thread other;
  {
    auto w = pool->acquireWriter();
    other = std::thread([&] {
      auto w2 = pool->acquireWriter();
      acquired = true;
      CHECK(&*w2 == first);
    });
    std::this_thread::sleep_for(100ms);
    CHECK_FALSE(acquired);
  }
  other.join();
  CHECK(acquired);
}

TEST_CASE("SQLite FULL: one WAL sync covers the commits made before it", "[db][sqlite]") {
  TestDatabase db(Backend::Sqlite);
  const std::string path = db.config().sqlitePath;
  auto wal = std::make_shared<SqliteWal>(path, /*syncCommits=*/true, 5000ms, 1000);
  {
    auto c = SqliteConnection::open(path, "FULL", 5000ms, wal);
    q(*c, "CREATE TABLE n (v INTEGER NOT NULL)");
  }
  const uint64_t syncsBefore = wal->stats().syncs;

  // One connection alone: every commit syncs once.
  {
    auto c = SqliteConnection::open(path, "FULL", 5000ms, wal);
    for (int k = 0; k < 5; ++k) {
      c->begin();
      q(*c, "INSERT INTO n (v) VALUES ($1)", {I(k)});
      c->commit();
    }
  }
  CHECK(wal->stats().syncs == syncsBefore + 5);

  // Commits already counted when a sync starts need no sync of their own.
  auto a = SqliteConnection::open(path, "FULL", 5000ms, wal);
  auto b = SqliteConnection::open(path, "FULL", 5000ms, wal);
  std::vector<uint64_t> positions;
  for (auto* c : {a.get(), b.get(), a.get()}) {
    c->begin();
    q(*c, "INSERT INTO n (v) VALUES ($1)", {I(100)});
    positions.push_back(c->commitDeferringSync());
  }
  const uint64_t syncsMid = wal->stats().syncs;
  wal->syncThrough(positions.back());
  CHECK(wal->stats().syncs == syncsMid + 1);
  wal->syncThrough(positions.front());  // covered by that sync already
  CHECK(wal->stats().syncs == syncsMid + 1);

  // Many threads: fewer syncs than commits, every commit kept. They start together, so
  // their commits overlap however long starting a thread takes here.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::latch opened(8);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      bool arrived = false;
      try {
        auto c = SqliteConnection::open(path, "FULL", 5000ms, wal);
        arrived = true;
        opened.arrive_and_wait();
        for (int k = 0; k < 25; ++k) {
          c->begin();
          q(*c, "INSERT INTO n (v) VALUES ($1)", {I(k)});
          c->commit();
        }
      } catch (...) {
        if (!arrived) opened.count_down();
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(q(*a, "SELECT COUNT(*) FROM n").at(0, 0).i == 5 + 3 + 200);
  CHECK(wal->stats().syncs - syncsMid - 1 < 200);
  INFO("syncs for 200 commits: " << wal->stats().syncs - syncsMid - 1);
}

TEST_CASE("SQLite: background checkpoints keep the WAL bounded under continuous writes", "[db][sqlite]") {
  TestDatabase db(Backend::Sqlite);
  DbConfig cfg = db.config();
  cfg.sqliteCheckpointFrames = 200;
  auto pool = Pool::open(cfg);
  {
    auto w = pool->acquireWriter();
    q(*w, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  }
  const auto walFile = std::filesystem::path(cfg.sqlitePath + "-wal");
  // 4,000 pages written without a pause: 20 times the threshold. Without checkpoints that
  // start the WAL over, the WAL file would hold them all (~16 MB).
  uintmax_t largestWal = 0;
  for (int k = 0; k < 200; ++k) {
    auto w = pool->acquireWriter();
    w->begin();
    for (int i = 0; i < 20; ++i) q(*w, "INSERT INTO t (id, v) VALUES ($1, printf('%03900d', $1))", {I(k * 100 + i)});
    w->commit();
    largestWal = std::max(largestWal, std::filesystem::file_size(walFile));
  }
  INFO("largest WAL: " << largestWal << " bytes");
  CHECK(largestWal < 2000 * 4096);  // at most half of what was written
  auto r = pool->acquire();
  CHECK(q(*r, "SELECT COUNT(*) FROM t").at(0, 0).i == 4000);
  CHECK(q(*r, "PRAGMA integrity_check").at(0, 0).s == "ok");
}
