#include "db/sqlite_pool.hpp"

#include "db/blocking_pool.hpp"
#include "db/sqlite_connection.hpp"
#include "db/sqlite_wal.hpp"

#include <cctype>
#include <filesystem>
#include <system_error>

namespace codestats::host::db {
namespace {

std::string absoluteDatabasePath(const std::string& path) {
  if (path.empty() || path == ":memory:") {
    throw DbError(
        DbError::Kind::Connection,
        "SQLite path '" + path +
            "' is not supported: every pooled connection would get its own private database; use a file path");
  }
  if (path.rfind("file:", 0) == 0)  // opened without SQLITE_OPEN_URI: would be a literal file name
    throw DbError(DbError::Kind::Connection, "SQLite URI '" + path + "' is not supported; use a file path");
  std::filesystem::path file(path);
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  if (ec) absolute = file;
  if (absolute.has_parent_path()) {
    std::filesystem::create_directories(absolute.parent_path(), ec);
    if (ec) {
      throw DbError(DbError::Kind::Connection,
                    "cannot create the directory of SQLite database " + absolute.string() + ": " + ec.message());
    }
  }
  return absolute.string();
}

bool isFull(std::string mode) {
  for (char& c : mode) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return mode == "FULL";
}

class SqlitePool final : public BlockingPool<SqliteConnection> {
 public:
  SqlitePool(const DbConfig& config, std::string path, std::shared_ptr<SqliteWal> wal)
      : BlockingPool(Backend::Sqlite, "sqlite:" + path, config,
                     [path, sync = config.sqliteSynchronous, busy = config.busyTimeout, wal] {
                       return SqliteConnection::open(path, sync, busy, wal);
                     }),
        path_(std::move(path)), sync_(config.sqliteSynchronous), busy_(config.busyTimeout), wal_(std::move(wal)) {
    // Its own connection: a checkpoint never waits for a transaction's lease.
    checkpointConn_ = SqliteConnection::open(path_, sync_, busy_);
    wal_->startCheckpointer(checkpointConn_->handle());
  }

  ~SqlitePool() override { wal_->stop(); }  // before checkpointConn_ closes

  Lease acquireWriter() override {
    wal_->lockWrites();                                        // held until the lease ends (release below)
    std::unique_ptr<SqliteConnection> c = std::move(writer_);  // only touched under the write lock
    if (!c) {
      try {
        c = SqliteConnection::open(path_, sync_, busy_, wal_, /*leasedWriter=*/true);
      } catch (...) {
        wal_->unlockWrites();
        throw;
      }
    }
    return Lease(this, std::move(c));
  }

  void syncThrough(uint64_t position) override { wal_->syncThrough(position); }

  std::optional<WalCounters> walCounters() const override {
    SqliteWal::Stats s = wal_->stats();
    return WalCounters{s.syncs, s.checkpoints, s.walRestarts};
  }

 protected:
  void release(std::unique_ptr<Connection> base) noexcept override {
    auto* writer = dynamic_cast<SqliteConnection*>(base.get());
    if (!writer || !writer->isLeasedWriter()) {
      BlockingPool::release(std::move(base));
      return;
    }
    std::unique_ptr<SqliteConnection> c(writer);
    base.release();
    makeReusable(c);
    writer_ = std::move(c);  // still under the write lock
    wal_->unlockWrites();
  }

 private:
  const std::string path_;
  const std::string sync_;
  const std::chrono::milliseconds busy_;
  std::shared_ptr<SqliteWal> wal_;
  std::unique_ptr<SqliteConnection> checkpointConn_;
  std::unique_ptr<SqliteConnection> writer_;  // guarded by the write lock; null while leased
};

}  // namespace

std::unique_ptr<Pool> openSqlitePool(const DbConfig& config) {
  std::string path = absoluteDatabasePath(config.sqlitePath);
  auto wal = std::make_shared<SqliteWal>(path, isFull(config.sqliteSynchronous), config.busyTimeout,
                                         config.sqliteCheckpointFrames);
  return std::make_unique<SqlitePool>(config, std::move(path), std::move(wal));
}

}  // namespace codestats::host::db
