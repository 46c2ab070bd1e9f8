#include "services/worker_pool.hpp"

#include <pthread.h>

namespace codestats::host {

WorkerPool::WorkerPool(size_t threads, const char* name) {
  for (size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this, name] {
      pthread_setname_np(pthread_self(), name);
      run();
    });
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void WorkerPool::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and nothing left
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();  // callers catch their own exceptions (module calls go through guarded trampolines)
  }
}

bool SerialQueue::post(std::function<void()> fn) {
  bool schedule = false;
  {
    std::lock_guard lock(mu_);
    if (items_.size() >= capacity_) return false;
    items_.push_back(std::move(fn));
    if (!scheduled_) scheduled_ = schedule = true;
  }
  if (schedule) pool_.post([self = shared_from_this()] { self->drain(); });
  return true;
}

size_t SerialQueue::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

void SerialQueue::drain() {
  // Bounded batch per turn so one busy queue cannot starve the other pool users.
  for (int n = 0; n < 64; ++n) {
    std::function<void()> fn;
    {
      std::lock_guard lock(mu_);
      if (items_.empty()) {
        scheduled_ = false;
        return;
      }
      fn = std::move(items_.front());
      items_.pop_front();
    }
    fn();
  }
  pool_.post([self = shared_from_this()] { self->drain(); });
}

}  // namespace codestats::host
