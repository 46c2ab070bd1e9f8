// A Connection on one sqlite3 handle: WAL journal, busy timeout, foreign keys on, and
// statements prepared once (SQLITE_PREPARE_PERSISTENT) and cached by SQL text.
#pragma once

#include "db/Database.hpp"
#include "db/StatementCache.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace codestatsd::db {

class SqliteConnection final : public Connection {
 public:
  // Opens (creating if missing) the database file. Throws DbError(Connection).
  // `writeLock`, shared by the connections of one pool, makes their transactions wait for
  // each other in this process (a woken waiter) instead of in SQLite's busy handler, which
  // polls with sleeps of 1 to 100 ms.
  static std::unique_ptr<SqliteConnection> open(const std::string& path, const std::string& synchronous,
                                                std::chrono::milliseconds busyTimeout,
                                                std::shared_ptr<std::timed_mutex> writeLock = nullptr);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  ResultSet query(std::string_view sql, const cs_value* params, size_t n) override;
  void execScript(std::string_view sql) override;
  void begin() override;
  void commit() override;
  void rollback() override;
  bool healthy() const override;

  // True when this process keeps SQLite statement journals in memory (set before the
  // first connection opens; false if something initialised SQLite earlier).
  static bool statementJournalsInMemory();

  // Used by the pool: a connection handed back mid-transaction is rolled back first.
  bool inTransaction() const;
  // Used by the pool before handing out an idle connection; nothing can go stale here.
  bool stillAlive() { return healthy(); }
  // synchronous=FULL is kept by syncing the WAL after a write committed, once the write
  // lock is released, before the call returns (docs/decisions.md): true on such connections.
  bool syncsWalAfterCommit() const { return syncAfterCommit_; }

 private:
  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const;
  };
  struct Prepared {
    std::unique_ptr<sqlite3_stmt, StmtDeleter> stmt;
    // paramNumber[j-1] = N for the j-th distinct placeholder "$N" in the SQL.
    std::vector<int> paramNumber;
  };

  SqliteConnection(sqlite3* db, std::chrono::milliseconds busyTimeout);
  Prepared& prepared(std::string_view sql);
  // query() without the sync: sets autocommitWrite when the statement wrote outside a transaction.
  ResultSet run(std::string_view sql, const cs_value* params, size_t n, bool& autocommitWrite);
  [[noreturn]] void fail(int rc, std::string_view context) const;
  void releaseWriteLock();
  void syncWal();  // (and checkpoint when the WAL is long)
  static int noteWalLength(void* self, sqlite3* db, const char* schema, int frames);

  sqlite3* db_;
  std::chrono::milliseconds busyTimeout_;
  std::shared_ptr<std::timed_mutex> writeLock_;
  bool holdsWriteLock_ = false;
  bool syncAfterCommit_ = false;  // FULL: PRAGMA synchronous=NORMAL + syncWal() after commits
  std::string walPath_;
  bool directorySynced_ = false;  // the WAL's directory entry, once per connection
  int walFrames_ = 0;  // the WAL's length after this connection's last commit
  StatementCache<Prepared> cache_;  // destroyed before db_ is closed (see destructor)
};

}  // namespace codestatsd::db
