// A Connection on one sqlite3 handle: WAL journal, busy timeout, foreign keys on, and
// statements prepared once (SQLITE_PREPARE_PERSISTENT) and cached by SQL text.
#pragma once

#include "db/Database.hpp"
#include "db/StatementCache.hpp"

#include <memory>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace codestatsd::db {

class SqliteConnection final : public Connection {
 public:
  // Opens (creating if missing) the database file. Throws DbError(Connection).
  static std::unique_ptr<SqliteConnection> open(const std::string& path, const std::string& synchronous,
                                                std::chrono::milliseconds busyTimeout);
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
  [[noreturn]] void fail(int rc, std::string_view context) const;

  sqlite3* db_;
  std::chrono::milliseconds busyTimeout_;
  StatementCache<Prepared> cache_;  // destroyed before db_ is closed (see destructor)
};

}  // namespace codestatsd::db
