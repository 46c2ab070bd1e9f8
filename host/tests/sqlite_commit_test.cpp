// SQLite commits with synchronous=FULL (docs/decisions.md, ingest round 3): the WAL is
// synced by the host after the write lock is released, checkpoints run there too, and the
// transactions of one pool queue for the write lock in-process.
#include <catch2/catch.hpp>

#include "db/Database.hpp"
#include "db/SqliteConnection.hpp"

#include "support/DbValues.hpp"
#include "support/TestDatabases.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace codestatsd::db;
using codestatsd::db::test::TestDatabase;
using namespace codestatsd::db::test;  // I, T, R, B, N, q (support/DbValues.hpp)
using namespace std::chrono_literals;

namespace {



}  // namespace

TEST_CASE("SQLite FULL: the WAL is checkpointed into the database file after commits", "[db][sqlite]") {
  TestDatabase db(Backend::Sqlite);
  DbConfig cfg = db.config();
  cfg.sqliteSynchronous = "FULL";
  auto pool = Pool::open(cfg);
  auto c = pool->acquire();
  REQUIRE(dynamic_cast<SqliteConnection&>(*c).syncsWalAfterCommit());
  q(*c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  const auto dbFile = std::filesystem::path(cfg.sqlitePath);
  const auto before = std::filesystem::file_size(dbFile);
  // ~1,500 pages in 30 commits: past the 1,000-frame threshold, so at least one checkpoint
  // copied pages into the database file (until then it only grows in the WAL).
  for (int k = 0; k < 30; ++k) {
    c->begin();
    for (int i = 0; i < 50; ++i)
      q(*c, "INSERT INTO t (id, v) VALUES ($1, printf('%03900d', $1))", {I(k * 100 + i)});
    c->commit();
  }
  CHECK(std::filesystem::file_size(dbFile) > before + 500 * 4096);
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
