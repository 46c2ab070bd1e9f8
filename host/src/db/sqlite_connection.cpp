#include "db/sqlite_connection.hpp"

#include "db/wal_write_coalescing.hpp"

#include <codestats/sqlite_table_access.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstring>

namespace codestats::host::db {
namespace {

constexpr size_t kStatementCacheSize = 256;

// Resets and unbinds a statement when a query leaves, however it leaves: an un-reset
// statement would keep its read snapshot open and block WAL checkpoints.
class ResetGuard {
 public:
  explicit ResetGuard(sqlite3_stmt* s) : s_(s) {}
  ~ResetGuard() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  sqlite3_stmt* s_;
};

// "$12" -> 12; anything else (?, ?NNN, :name, @name, $name) -> 0.
int placeholderNumber(const char* name) {
  if (name == nullptr || name[0] != '$' || name[1] == '\0') return 0;
  int n = 0;
  const char* end = name + std::strlen(name);
  auto [p, ec] = std::from_chars(name + 1, end, n);
  if (ec != std::errc() || p != end || n < 1) return 0;
  return n;
}

bool isConflict(int rc) { return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY; }

bool isBusy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

// The first column of the first row of a one-off statement (PRAGMAs at open time).
std::string pragmaValue(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
  std::string out;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      if (auto* t = sqlite3_column_text(st, 0)) out = reinterpret_cast<const char*>(t);
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      rc = SQLITE_OK;
    }
  }
  std::string err = rc == SQLITE_OK ? std::string() : sqlite3_errmsg(db);
  sqlite3_finalize(st);
  if (rc != SQLITE_OK) throw DbError(DbError::Kind::Connection, sql + ": " + err);
  return out;
}

// Statement journals (the undo log SQLite keeps for each multi-row statement inside a
// transaction) stay in memory. By default they spill to a temp file in /var/tmp after
// 64 KiB: a group commit's multi-row INSERTs and upserts then opened, wrote and unlinked
// a file per statement, as many pwrite()s as the WAL itself (bench/README.md). Sorts and
// temp tables still spill to disk (unlike PRAGMA temp_store=MEMORY). sqlite3_config only
// works before SQLite initialises, i.e. before the first connection of the process.
bool keepStatementJournalsInMemory() {
  static const bool applied = sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1) == SQLITE_OK;
  return applied;
}

}  // namespace

bool SqliteConnection::statementJournalsInMemory() { return keepStatementJournalsInMemory(); }

void SqliteConnection::StmtDeleter::operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }

SqliteConnection::SqliteConnection(sqlite3* db, std::chrono::milliseconds busyTimeout)
    : db_(db), busyTimeout_(busyTimeout), cache_(kStatementCacheSize) {}

SqliteConnection::~SqliteConnection() {
  releaseWriteLock();
  cache_.clear();  // finalize every statement before closing the handle
  sqlite3_close_v2(db_);
}

std::unique_ptr<SqliteConnection> SqliteConnection::open(const std::string& path, const std::string& synchronous,
                                                         std::chrono::milliseconds busyTimeout,
                                                         std::shared_ptr<SqliteWal> wal, bool leasedWriter) {
  std::string sync = synchronous;
  std::transform(sync.begin(), sync.end(), sync.begin(), [](unsigned char c) { return std::toupper(c); });
  if (sync != "OFF" && sync != "NORMAL" && sync != "FULL" && sync != "EXTRA")
    throw DbError(DbError::Kind::Connection,
                  "invalid SQLite synchronous mode '" + synchronous + "' (expected FULL or NORMAL)");

  keepStatementJournalsInMemory();            // before anything initialises SQLite
  const char* vfs = walWriteCoalescingVfs();  // nullptr (the default VFS) if it could not register
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (the pool's lease), so
  // SQLite's per-connection mutex would be pure overhead.
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, vfs);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    throw DbError(DbError::Kind::Connection, "cannot open SQLite database " + path + ": " + msg);
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(raw, busyTimeout));
  conn->wal_ = std::move(wal);
  conn->leasedWriter_ = leasedWriter;
  try {
    // READWRITE silently falls back to read-only for a write-protected file.
    if (sqlite3_db_readonly(raw, "main") == 1) throw DbError(DbError::Kind::Connection, "file is read-only");
    auto ms = busyTimeout.count();
    sqlite3_busy_timeout(raw, static_cast<int>(std::clamp<decltype(ms)>(ms, 0, INT_MAX)));
    std::string mode = pragmaValue(raw, "PRAGMA journal_mode=WAL");
    if (mode != "wal") throw DbError(DbError::Kind::Connection, "cannot enable WAL (journal_mode is " + mode + ")");
    if (conn->wal_ && conn->wal_->syncsCommits() != (sync == "FULL"))
      throw DbError(DbError::Kind::Connection, "the shared WAL state was made for another synchronous mode");
    if (conn->wal_ && sync == "FULL") {
      // The same guarantee (durable when the call returns), with the fdatasync made after
      // SQLite's write lock is released: the next transaction runs meanwhile.
      pragmaValue(raw, "PRAGMA synchronous=NORMAL");
    } else {
      pragmaValue(raw, "PRAGMA synchronous=" + sync);
    }
    // Checkpoints run on the pool's checkpointer thread (replaces SQLite's automatic
    // checkpoint, which runs inside COMMIT): the hook only reports the WAL's length.
    if (conn->wal_) sqlite3_wal_hook(raw, &SqliteConnection::noteWalLength, conn->wal_.get());
    pragmaValue(raw, "PRAGMA foreign_keys=ON");
    // Installed once: setting an authorizer later would expire every cached statement.
    sqlite3_set_authorizer(raw, &SqliteConnection::authorize, conn.get());
  } catch (const DbError& e) {
    throw DbError(DbError::Kind::Connection, "cannot open SQLite database " + path + ": " + e.what());
  }
  return conn;
}

void SqliteConnection::fail(int rc, std::string_view context) const {
  std::string msg(context);
  if (!msg.empty()) msg += ": ";
  msg += sqlite3_errmsg(db_);
  if (isConflict(rc)) throw DbError(DbError::Kind::Conflict, msg);
  if (isBusy(rc)) {
    throw DbError(DbError::Kind::Generic,
                  msg + " (gave up after the busy timeout of " + std::to_string(busyTimeout_.count()) + " ms)");
  }
  throw DbError(DbError::Kind::Generic, msg);
}

SqliteConnection::Prepared& SqliteConnection::prepared(std::string_view sql) {
  if (Prepared* hit = cache_.find(sql)) return *hit;

  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  if (rc != SQLITE_OK) fail(rc, "");
  if (raw == nullptr) throw DbError(DbError::Kind::Generic, "empty SQL statement");
  Prepared p{std::unique_ptr<sqlite3_stmt, StmtDeleter>(raw), {}};

  // sqlite3_prepare compiles only the first statement and ignores the rest; PostgreSQL
  // rejects several statements in one prepared query, so reject them here as well.
  const char* end = sql.data() + sql.size();
  while (tail != nullptr && tail < end) {
    sqlite3_stmt* extra = nullptr;
    const char* next = nullptr;
    rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &extra, &next);
    if (extra == nullptr && rc == SQLITE_OK) break;  // only whitespace or comments left
    sqlite3_finalize(extra);
    throw DbError(DbError::Kind::Generic, "several SQL statements in one query (use execScript)");
  }

  int count = sqlite3_bind_parameter_count(raw);
  p.paramNumber.resize(static_cast<size_t>(count));
  for (int j = 1; j <= count; ++j) {
    const char* name = sqlite3_bind_parameter_name(raw, j);
    int number = placeholderNumber(name);
    if (number == 0) {
      std::string shown = name ? name : "?";
      // SQLite reads "$1::int" as one Tcl-style name; PostgreSQL's cast syntax does not port.
      const char* hint = shown.find("::") != std::string::npos ? "; write CAST($N AS type) instead of $N::type"
                                                               : "; use $1..$N on both backends";
      throw DbError(DbError::Kind::Generic, "unsupported placeholder '" + shown + "'" + hint);
    }
    p.paramNumber[static_cast<size_t>(j - 1)] = number;
  }

  std::string key(sql);
  Prepared& entry = cache_.insert(std::move(key), std::move(p));
  if (cache_.overCapacity()) cache_.takeOldest();  // never the one just inserted
  return entry;
}

ResultSet SqliteConnection::query(std::string_view sql, const cs_value* params, size_t n) {
  bool autocommitWrite = false;
  ResultSet rs = run(sql, params, n, autocommitWrite);
  if (autocommitWrite) syncCommitted();
  return rs;
}

ResultSet SqliteConnection::run(std::string_view sql, const cs_value* params, size_t n, bool& autocommitWrite) {
  if (n > 0 && params == nullptr) throw DbError(DbError::Kind::Generic, "parameters missing");
  Prepared& p = prepared(sql);
  sqlite3_stmt* st = p.stmt.get();
  ResetGuard guard(st);

  static const char kEmpty[] = "";  // a null pointer would bind NULL instead of ""
  for (size_t j = 0; j < p.paramNumber.size(); ++j) {
    const int number = p.paramNumber[j];
    const int index = static_cast<int>(j + 1);
    if (static_cast<size_t>(number) > n) {
      throw DbError(DbError::Kind::Generic, "SQL uses $" + std::to_string(number) + " but only " + std::to_string(n) +
                                                " parameters were given");
    }
    const cs_value& v = params[number - 1];
    const char* ptr = v.s.ptr ? v.s.ptr : kEmpty;
    int rc = SQLITE_OK;
    switch (v.type) {
      case CS_VAL_NULL: rc = sqlite3_bind_null(st, index); break;
      case CS_VAL_INT: rc = sqlite3_bind_int64(st, index, v.i); break;
      case CS_VAL_REAL: rc = sqlite3_bind_double(st, index, v.d); break;
      // SQLITE_STATIC: the values outlive the statement's use; the guard unbinds them.
      case CS_VAL_TEXT: rc = sqlite3_bind_text64(st, index, ptr, v.s.len, SQLITE_STATIC, SQLITE_UTF8); break;
      case CS_VAL_BLOB: rc = sqlite3_bind_blob64(st, index, ptr, v.s.len, SQLITE_STATIC); break;
      default:
        throw DbError(DbError::Kind::Generic,
                      "parameter $" + std::to_string(number) + " has unknown type " + std::to_string(v.type));
    }
    if (rc != SQLITE_OK) fail(rc, "binding $" + std::to_string(number));
  }

  ResultSet rs;
  const sqlite3_int64 changesBefore = sqlite3_total_changes64(db_);
  int rc = sqlite3_step(st);
  // Read the columns after the first step: a schema change re-prepares the statement
  // inside sqlite3_step and may change them.
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
    const int cols = sqlite3_column_count(st);
    rs.columns.reserve(static_cast<size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      const char* name = sqlite3_column_name(st, c);
      rs.columns.emplace_back(name ? name : "");
    }
  }
  while (rc == SQLITE_ROW) {
    const int cols = static_cast<int>(rs.columns.size());
    for (int c = 0; c < cols; ++c) {
      Value& out = rs.cells.emplace_back();
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER:
          out.type = CS_VAL_INT;
          out.i = sqlite3_column_int64(st, c);
          break;
        case SQLITE_FLOAT:
          out.type = CS_VAL_REAL;
          out.d = sqlite3_column_double(st, c);
          break;
        case SQLITE_TEXT: {
          out.type = CS_VAL_TEXT;
          auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
          if (t) out.s.assign(t, static_cast<size_t>(sqlite3_column_bytes(st, c)));
          break;
        }
        case SQLITE_BLOB: {
          out.type = CS_VAL_BLOB;
          auto* b = static_cast<const char*>(sqlite3_column_blob(st, c));
          if (b) out.s.assign(b, static_cast<size_t>(sqlite3_column_bytes(st, c)));
          break;
        }
        default: out.type = CS_VAL_NULL; break;
      }
    }
    rc = sqlite3_step(st);
  }
  if (rc != SQLITE_DONE) fail(rc, "");
  // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so only trust it
  // when this statement changed something (not after a SELECT or DDL).
  if (sqlite3_total_changes64(db_) != changesBefore) rs.affected = sqlite3_changes64(db_);
  // A write outside BEGIN..COMMIT committed by itself (COMMIT and BEGIN count as read-only).
  autocommitWrite = sqlite3_stmt_readonly(st) == 0 && sqlite3_get_autocommit(db_) != 0;
  return rs;
}

void SqliteConnection::execScript(std::string_view sql) {
  std::string script(sql);  // sqlite3_exec wants a NUL-terminated string
  int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, "");
  if (!inTransaction()) syncCommitted();
}

// BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that upgrades
// from read to write in WAL mode fails with SQLITE_BUSY_SNAPSHOT without waiting.
void SqliteConnection::begin() {
  if (wal_ && !leasedWriter_ && !holdsWriteLock_) {
    wal_->lockWrites();
    holdsWriteLock_ = true;
  }
  try {
    query("BEGIN IMMEDIATE", nullptr, 0);
  } catch (...) {
    releaseWriteLock();
    throw;
  }
}

void SqliteConnection::commit() {
  const uint64_t position = commitDeferringSync();
  if (wal_) wal_->syncThrough(position);
}

uint64_t SqliteConnection::commitDeferringSync() {
  bool autocommitWrite = false;
  run("COMMIT", nullptr, 0, autocommitWrite);  // on failure the caller rolls back, which releases the lock
  releaseWriteLock();
  return wal_ ? wal_->committed() : 0;
}

void SqliteConnection::syncCommitted() {
  if (wal_) wal_->syncThrough(wal_->committed());
}

int SqliteConnection::noteWalLength(void* wal, sqlite3*, const char*, int frames) {
  static_cast<SqliteWal*>(wal)->noteWalFrames(frames);
  return SQLITE_OK;
}

void SqliteConnection::rollback() {
  // Some errors (e.g. SQLITE_FULL) already rolled the transaction back.
  try {
    if (inTransaction()) query("ROLLBACK", nullptr, 0);
  } catch (...) {
    releaseWriteLock();
    throw;
  }
  releaseWriteLock();
}

void SqliteConnection::releaseWriteLock() {
  if (!holdsWriteLock_) return;
  holdsWriteLock_ = false;
  wal_->unlockWrites();
}

int SqliteConnection::authorize(void* self, int action, const char* a, const char* b, const char*, const char*) {
  auto* conn = static_cast<SqliteConnection*>(self);
  if (conn->collecting_) codestats::access::noteSqliteAction(*conn->collecting_, action, a, b);
  return SQLITE_OK;
}

StatementAccess SqliteConnection::describeAccess(std::string_view sql, const cs_value*, size_t) {
  StatementAccess access;
  sqlite3_stmt* st = nullptr;
  collecting_ = &access;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr);
  collecting_ = nullptr;
  sqlite3_finalize(st);
  if (rc != SQLITE_OK) fail(rc, "");
  return access;
}

void SqliteConnection::execScriptChecked(std::string_view sql, const AccessCheck& check) {
  const char* pos = sql.data();
  const char* end = sql.data() + sql.size();
  while (pos < end) {
    StatementAccess access;
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    collecting_ = &access;
    int rc = sqlite3_prepare_v2(db_, pos, static_cast<int>(end - pos), &raw, &tail);
    collecting_ = nullptr;
    std::unique_ptr<sqlite3_stmt, StmtDeleter> st(raw);
    if (rc != SQLITE_OK) fail(rc, "");
    pos = tail ? tail : end;
    if (!raw) continue;  // whitespace or a comment
    check(access);
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) fail(rc, "");
  }
  if (!inTransaction()) syncCommitted();
}

bool SqliteConnection::healthy() const { return db_ != nullptr; }

bool SqliteConnection::inTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace codestats::host::db
