// Test databases for every backend a DB test must cover:
//   - SQLite, always: a fresh file in a fresh temp directory;
//   - PostgreSQL when PGTEST_URI (libpq key=value conninfo) is set: a fresh schema,
//     selected through search_path, dropped afterwards.
// With CI set and PGTEST_URI missing, the PostgreSQL case fails instead of vanishing.
//
//   TEST_CASE("...") {
//     FOR_EACH_TEST_DB(db) {          // one Catch2 section per backend, named after it
//       auto c = db.pool().acquire();
//       c->execScript(db.pick("sqlite DDL", "postgres DDL"));
//     }
//   }
//   Run one backend only:  db_tests -c postgres
#pragma once

#include <catch2/catch.hpp>

#include "db/database.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace codestats::host::db::test {

inline std::string envOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

inline const char* backendName(Backend b) { return b == Backend::Sqlite ? "sqlite" : "postgres"; }

inline std::vector<Backend> backends() {
  std::vector<Backend> out{Backend::Sqlite};
  if (!envOrEmpty("PGTEST_URI").empty() || !envOrEmpty("CI").empty()) out.push_back(Backend::Postgres);
  return out;
}

// PGTEST_URI, or a test failure when it is required (CI) but missing.
inline std::string requirePgUri() {
  std::string uri = envOrEmpty("PGTEST_URI");
  if (uri.empty()) FAIL("CI is set but PGTEST_URI is not: the PostgreSQL tests must run in CI (scripts/pgtest.sh)");
  return uri;
}

inline std::string uniqueSuffix() {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
}

class TestDatabase {
 public:
  explicit TestDatabase(Backend backend, int poolSize = 4) : backend_(backend) {
    config_.backend = backend;
    config_.poolSize = poolSize;
    config_.acquireTimeout = std::chrono::milliseconds(10000);
    config_.busyTimeout = std::chrono::milliseconds(10000);
    // No fsync per commit: the tests are about behaviour, and fsync latency on shared CI
    // disks varies by seconds. FULL (the default) is checked in the settings test.
    config_.sqliteSynchronous = "NORMAL";
    if (backend == Backend::Sqlite) {
      std::string dir = (std::filesystem::temp_directory_path() / "codestats-dbtest.XXXXXX").string();
      if (!::mkdtemp(dir.data())) FAIL("mkdtemp failed");
      dir_ = dir;
      config_.sqlitePath = (dir_ / "test.db").string();
    } else {
      baseUri_ = requirePgUri();
      schema_ = "cst_" + uniqueSuffix();
      DbConfig admin;
      admin.backend = Backend::Postgres;
      admin.postgresConninfo = baseUri_;
      admin.poolSize = 1;
      admin_ = Pool::open(admin);
      admin_->acquire()->execScript("CREATE SCHEMA " + schema_);
      // The conninfo sets options itself, so it must ask for UTC as the pool would.
      config_.postgresConninfo = baseUri_ + " options='-csearch_path=" + schema_ + " -cTimeZone=UTC'";
    }
  }

  ~TestDatabase() {
    pool_.reset();
    if (admin_) {
      try {
        admin_->acquire()->execScript("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
      } catch (...) {
      }
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  Backend backend() const { return backend_; }
  const char* name() const { return backendName(backend_); }
  bool isPostgres() const { return backend_ == Backend::Postgres; }

  // A config for this database; open more pools on it with Pool::open(db.config()).
  DbConfig config() const { return config_; }
  // For PostgreSQL: the plain PGTEST_URI (public schema, no options added).
  const std::string& baseUri() const { return baseUri_; }

  // A pool on this database, opened on first use.
  Pool& pool() {
    if (!pool_) pool_ = Pool::open(config_);
    return *pool_;
  }

  const char* pick(const char* sqlite, const char* postgres) const { return isPostgres() ? postgres : sqlite; }

 private:
  Backend backend_;
  DbConfig config_;
  std::filesystem::path dir_;
  std::string baseUri_;
  std::string schema_;
  std::unique_ptr<Pool> admin_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace codestats::host::db::test

// Runs the following block once per backend, each in a Catch2 section named after the
// backend, with `db` a fresh TestDatabase.
#define FOR_EACH_TEST_DB(db)                                                                  \
  for (::codestats::host::db::Backend db##Backend_ : ::codestats::host::db::test::backends()) \
    DYNAMIC_SECTION(::codestats::host::db::test::backendName(db##Backend_))                   \
  if (::codestats::host::db::test::TestDatabase db(db##Backend_); true)
