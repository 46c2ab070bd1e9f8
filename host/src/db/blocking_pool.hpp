// The blocking connection pool both backends use: acquire() waits for an idle connection
// (or opens one, up to the pool size) until the acquire timeout.
#pragma once

#include "db/database.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace codestats::host::db {

// Leases must be returned before the pool is destroyed.
// Conn is SqliteConnection or PostgresConnection; both provide inTransaction() and
// stillAlive(), which the abstract Connection does not expose.
template <class Conn>
class BlockingPool : public Pool {
 public:
  using Factory = std::function<std::unique_ptr<Conn>()>;

  BlockingPool(Backend backend, std::string description, const DbConfig& config, Factory factory)
      : backend_(backend), description_(std::move(description)), size_(static_cast<size_t>(config.poolSize)),
        timeout_(config.acquireTimeout), factory_(std::move(factory)) {
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
        throw DbError(DbError::Kind::PoolTimeout, "database pool exhausted: all " + std::to_string(size_) +
                                                      " connections busy for " + std::to_string(timeout_.count()) +
                                                      " ms (" + description_ + ")");
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
    makeReusable(c);
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

  // A connection handed back: rolled back if it is still in a transaction (a lease dropped
  // by an exception must come back clean), reset if it is broken.
  static void makeReusable(std::unique_ptr<Conn>& c) noexcept {
    if (c->healthy() && c->inTransaction()) {
      try {
        c->rollback();
      } catch (...) {
        c.reset();
      }
    }
    if (c && !c->healthy()) c.reset();
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

}  // namespace codestats::host::db
