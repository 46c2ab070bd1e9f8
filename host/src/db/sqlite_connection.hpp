// A Connection on one sqlite3 handle: WAL journal, busy timeout, foreign keys on, and
// statements prepared once (SQLITE_PREPARE_PERSISTENT) and cached by SQL text.
#pragma once

#include "db/database.hpp"
#include "db/sqlite_wal.hpp"
#include "db/statement_cache.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace codestats::host::db {

class SqliteConnection final : public Connection {
 public:
  // Opens (creating if missing) the database file. Throws DbError(Connection).
  // `wal`, shared by the connections of one pool, makes their transactions wait for each
  // other in this process (a woken waiter) instead of in SQLite's busy handler, which polls
  // with sleeps of 1 to 100 ms, keeps synchronous=FULL by its group sync, and checkpoints
  // off the commit path. Without it SQLite does all of that itself. `leasedWriter`: the
  // pool's writer connection, whose lease already holds the write lock.
  static std::unique_ptr<SqliteConnection> open(const std::string& path, const std::string& synchronous,
                                                std::chrono::milliseconds busyTimeout,
                                                std::shared_ptr<SqliteWal> wal = nullptr, bool leasedWriter = false);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  ResultSet query(std::string_view sql, const cs_value* params, size_t n) override;
  void execScript(std::string_view sql) override;
  StatementAccess describeAccess(std::string_view sql, const cs_value* params, size_t n) override;
  void execScriptChecked(std::string_view sql, const AccessCheck& check) override;
  void begin() override;
  void commit() override;
  uint64_t commitDeferringSync() override;
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
  bool syncsWalAfterCommit() const { return wal_ && wal_->syncsCommits(); }
  bool isLeasedWriter() const { return leasedWriter_; }
  sqlite3* handle() const { return db_; }

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
  void syncCommitted();  // a commit (or autocommit write) just finished: make it durable
  static int noteWalLength(void* wal, sqlite3* db, const char* schema, int frames);
  // The authorizer, installed for good at open: it records what a statement touches while
  // `collecting_` is set (describeAccess) and allows everything otherwise.
  static int authorize(void* self, int action, const char* a, const char* b, const char* db, const char* trigger);

  sqlite3* db_;
  std::chrono::milliseconds busyTimeout_;
  std::shared_ptr<SqliteWal> wal_;
  bool leasedWriter_ = false;
  bool holdsWriteLock_ = false;
  StatementAccess* collecting_ = nullptr;
  StatementCache<Prepared> cache_;  // destroyed before db_ is closed (see destructor)
};

}  // namespace codestats::host::db
