// The host's database layer: one pool of connections to SQLite (embedded default) or
// PostgreSQL, typed parameters and results, prepared statements cached per connection.
//
// SQL uses $1..$N placeholders on both backends. Modules reach this only through the
// SDK (db_query / db_transaction / db_migration in host/src/abi).
#pragma once

#include <codestats/module_abi.h>
#include <codestats/table_access.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::host::db {

enum class Backend { Sqlite, Postgres };

struct DbConfig {
  Backend backend = Backend::Sqlite;
  std::string sqlitePath;                  // file path; ":memory:" is rejected (one DB per connection)
  std::string sqliteSynchronous = "FULL";  // FULL | NORMAL
  // The WAL length (frames) that starts a background checkpoint. Larger: fewer copies of a
  // page written again and again (the aggregates), a longer WAL file.
  int sqliteCheckpointFrames = 32000;
  std::string postgresConninfo;  // libpq key=value form; the pool adds options=-cTimeZone=UTC
  int poolSize = 16;
  std::chrono::milliseconds acquireTimeout{5000};
  std::chrono::milliseconds busyTimeout{5000};  // SQLite lock wait
};

// An owned result cell.
struct Value {
  int32_t type = CS_VAL_NULL;  // CS_VAL_* from module_abi.h
  int64_t i = 0;
  double d = 0;
  std::string s;  // TEXT or BLOB bytes
};

// A fully materialised result set, row-major.
struct ResultSet {
  std::vector<std::string> columns;
  std::vector<Value> cells;  // rows() * columns.size()
  int64_t affected = 0;      // rows changed by INSERT/UPDATE/DELETE
  size_t rows() const { return columns.empty() ? 0 : cells.size() / columns.size(); }
  const Value& at(size_t row, size_t col) const { return cells[row * columns.size() + col]; }
};

class DbError : public std::runtime_error {
 public:
  // Denied: the table-ownership check refused the statement (CS_E_DENIED).
  enum class Kind { Generic, Conflict, PoolTimeout, Connection, Denied };
  DbError(Kind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// What one statement touches, for the table-ownership check (db/table_ownership.hpp): the
// SDK's vocabulary, shared with the fake host (codestats/table_access.hpp).
using TableUse = codestats::access::TableUse;
using TableTouch = codestats::access::TableTouch;
using StatementAccess = codestats::access::StatementAccess;
// Called before each statement of a checked script runs; throws to refuse it.
using AccessCheck = std::function<void(const StatementAccess&)>;

// One physical connection. Not thread-safe: used by one thread at a time via Pool::Lease.
class Connection {
 public:
  virtual ~Connection() = default;
  // Runs one statement (prepared once per connection and cached by SQL text).
  virtual ResultSet query(std::string_view sql, const cs_value* params, size_t n) = 0;
  // Runs a script of several statements without parameters (migrations).
  virtual void execScript(std::string_view sql) = 0;
  // What `sql` (one statement) would read and write, without running it. SQLite: the
  // authorizer while it is prepared. PostgreSQL: EXPLAIN, or the statement's text for what
  // EXPLAIN cannot take (DDL, LOCK, TRUNCATE).
  virtual StatementAccess describeAccess(std::string_view sql, const cs_value* params, size_t n) = 0;
  // execScript, one statement at a time, each shown to `check` before it runs.
  virtual void execScriptChecked(std::string_view sql, const AccessCheck& check) = 0;
  // SQLite: BEGIN IMMEDIATE (takes the write lock up front). PostgreSQL: BEGIN.
  virtual void begin() = 0;
  virtual void commit() = 0;
  // Commits, leaving durability to Pool::syncThrough(returned position), which the caller
  // must call before it reports the commit, after giving the connection back. 0: already
  // durable (the default, which is commit()).
  virtual uint64_t commitDeferringSync() {
    commit();
    return 0;
  }
  virtual void rollback() = 0;
  // False after a connection-level failure; the pool then replaces the connection.
  virtual bool healthy() const = 0;
};

// A blocking pool: acquire() waits up to acquireTimeout, then throws DbError(PoolTimeout).
class Pool {
 public:
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), conn_(std::move(c)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ && conn_) pool_->release(std::move(conn_));
    }
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  virtual ~Pool() = default;
  static std::unique_ptr<Pool> open(const DbConfig& config);  // throws DbError(Connection)
  virtual Lease acquire() = 0;
  // A connection for a write transaction. SQLite: the pool's one writer connection, leased
  // together with the write lock, so its page cache stays valid from one transaction to the
  // next (a connection that sees another's commit drops its whole cache).
  virtual Lease acquireWriter() { return acquire(); }
  // Returns once the commits up to `position` (Connection::commitDeferringSync) are durable.
  virtual void syncThrough(uint64_t position) { (void)position; }
  // Counters of the SQLite write-ahead log, for /metrics (nullopt on PostgreSQL).
  struct WalCounters {
    uint64_t syncs = 0;        // fdatasync calls of the WAL for commits
    uint64_t checkpoints = 0;  // checkpoint passes
    uint64_t restarts = 0;     // passes that copied the whole WAL back (it then starts over)
  };
  virtual std::optional<WalCounters> walCounters() const { return std::nullopt; }
  virtual Backend backend() const = 0;
  virtual std::string describe() const = 0;  // for logs; never contains a password

 protected:
  virtual void release(std::unique_ptr<Connection> c) = 0;
};

// One module migration. Applied once per (module, version), in version order, each in its
// own transaction, recorded in the table codestats_migrations.
struct Migration {
  int64_t version = 0;
  std::string name;
  std::string sqlSqlite;
  std::string sqlPostgres;
};

struct MigrationReport {
  std::vector<int64_t> applied;  // versions applied by this call
};

// Applies the pending migrations of `module`. Safe to run from several hosts at once on
// one PostgreSQL (advisory lock). Throws DbError naming the failing version. With `check`,
// every statement is shown to it first (the module's table ownership).
MigrationReport applyMigrations(Pool& pool, std::string_view module, const std::vector<Migration>& migrations,
                                const AccessCheck& check = nullptr);

}  // namespace codestats::host::db
