// The blocking connection pool and Pool::open, which picks the backend.
#include "db/Database.hpp"
#include "db/PostgresConnection.hpp"
#include "db/SqliteConnection.hpp"

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <system_error>
#include <vector>

namespace codestatsd::db {
namespace {

// Leases must be returned before the pool is destroyed.
// Conn is SqliteConnection or PostgresConnection; both provide inTransaction() and
// stillAlive(), which the abstract Connection does not expose.
template <class Conn>
class BlockingPool final : public Pool {
 public:
  using Factory = std::function<std::unique_ptr<Conn>()>;

  BlockingPool(Backend backend, std::string description, const DbConfig& config, Factory factory)
      : backend_(backend),
        description_(std::move(description)),
        size_(static_cast<size_t>(config.poolSize)),
        timeout_(config.acquireTimeout),
        factory_(std::move(factory)) {
    idle_.reserve(size_);  // release() then never allocates
    // Eagerly, so a bad path or conninfo fails at startup rather than on first use.
    idle_.push_back(factory_());
    total_ = 1;
  }

  Lease acquire() override {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!idle_.empty()) {
        std::unique_ptr<Conn> c = std::move(idle_.back());  // most recently used: warm caches
        idle_.pop_back();
        lock.unlock();
        if (c->stillAlive()) return Lease(this, std::move(c));
        c.reset();  // closed by the server meanwhile: replace it
        lock.lock();
        --total_;
        continue;
      }
      if (total_ < size_) {
        ++total_;  // reserve the slot, then connect without holding the lock
        lock.unlock();
        try {
          return Lease(this, factory_());
        } catch (...) {
          lock.lock();
          --total_;
          available_.notify_one();
          throw;
        }
      }
      if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && total_ >= size_) {
        throw DbError(DbError::Kind::PoolTimeout,
                      "database pool exhausted: all " + std::to_string(size_) + " connections busy for " +
                          std::to_string(timeout_.count()) + " ms (" + description_ + ")");
      }
    }
  }

  Backend backend() const override { return backend_; }
  std::string describe() const override { return description_; }

 protected:
  // Called from Lease's destructor: must not throw.
  void release(std::unique_ptr<Connection> base) noexcept override {
    std::unique_ptr<Conn> c(dynamic_cast<Conn*>(base.get()));
    if (!c) return;  // not one of ours (never counted): `base` closes it
    base.release();
    if (c->healthy() && c->inTransaction()) {
      try {
        c->rollback();  // a lease dropped mid-transaction (an exception) must come back clean
      } catch (...) {
        c.reset();
      }
    }
    if (c && !c->healthy()) c.reset();
    {
      std::lock_guard lock(mutex_);
      if (c) {
        idle_.push_back(std::move(c));
      } else {
        --total_;
      }
    }
    available_.notify_one();
  }

 private:
  const Backend backend_;
  const std::string description_;
  const size_t size_;
  const std::chrono::milliseconds timeout_;
  const Factory factory_;

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Conn>> idle_;
  size_t total_ = 0;  // idle + leased + being opened
};

std::unique_ptr<Pool> openSqlite(const DbConfig& config) {
  const std::string& path = config.sqlitePath;
  if (path.empty() || path == ":memory:") {
    throw DbError(DbError::Kind::Connection,
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
      throw DbError(DbError::Kind::Connection, "cannot create the directory of SQLite database " + absolute.string() +
                                                   ": " + ec.message());
    }
  }
  const std::string abs = absolute.string();
  const std::string sync = config.sqliteSynchronous;
  const auto busy = config.busyTimeout;
  auto writeLock = std::make_shared<std::timed_mutex>();  // one writer at a time, queued in-process
  return std::make_unique<BlockingPool<SqliteConnection>>(
      Backend::Sqlite, "sqlite:" + abs, config,
      [abs, sync, busy, writeLock] { return SqliteConnection::open(abs, sync, busy, writeLock); });
}

std::unique_ptr<Pool> openPostgres(const DbConfig& config) {
  const std::string conninfo = config.postgresConninfo;
  return std::make_unique<BlockingPool<PostgresConnection>>(Backend::Postgres, "postgres:" + describeConninfo(conninfo),
                                                            config,
                                                            [conninfo] { return PostgresConnection::open(conninfo); });
}

}  // namespace

std::unique_ptr<Pool> Pool::open(const DbConfig& config) {
  if (config.poolSize < 1)
    throw DbError(DbError::Kind::Connection, "database pool size must be at least 1, got " + std::to_string(config.poolSize));
  return config.backend == Backend::Sqlite ? openSqlite(config) : openPostgres(config);
}

}  // namespace codestatsd::db
