// Host threads for module background work: tasks, timer runs and event deliveries.
// Modules never own threads (see docs/plugin-host.md); they borrow these, under a lease.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace codestats::host {

class WorkerPool {
 public:
  // `name` (at most 15 bytes) names the threads for top -H and debuggers.
  explicit WorkerPool(size_t threads, const char* name = "worker");
  ~WorkerPool();  // runs what is queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(std::function<void()> fn);
  size_t queued() const;
  void shutdown();

 private:
  void run();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

// Runs posted functions one at a time, in order, on a WorkerPool (no dedicated thread).
class SerialQueue : public std::enable_shared_from_this<SerialQueue> {
 public:
  SerialQueue(WorkerPool& pool, size_t capacity) : pool_(pool), capacity_(capacity) {}
  // false when the queue is full (the item is dropped; the caller counts it)
  bool post(std::function<void()> fn);
  size_t size() const;

 private:
  void drain();
  WorkerPool& pool_;
  size_t capacity_;
  mutable std::mutex mu_;
  std::deque<std::function<void()>> items_;
  bool scheduled_ = false;
};

}  // namespace codestats::host
