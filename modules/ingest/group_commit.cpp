#include "group_commit.hpp"

#include <exception>

namespace codestats::ingest {

void GroupCommitter::submit(Ticket& ticket) {
  std::unique_lock lock(mutex_);
  queue_.push_back(&ticket);
  if (collecting_ && queue_.size() >= options_.batchMax) cv_.notify_all();
  while (!ticket.done) {
    if (!collecting_ && inflight_ < options_.maxInflight && !queue_.empty()) {
      collecting_ = true;
      if (options_.batchWait.count() > 0 && queue_.size() < options_.batchMax) {
        auto deadline = std::chrono::steady_clock::now() + options_.batchWait;
        cv_.wait_until(lock, deadline, [&] { return queue_.size() >= options_.batchMax; });
      }
      std::vector<Ticket*> batch;
      size_t n = std::min(queue_.size(), options_.batchMax);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      collecting_ = false;
      ++inflight_;
      ++stats_.batches;
      stats_.tickets += batch.size();
      if (batch.size() > stats_.largestBatch) stats_.largestBatch = batch.size();
      cv_.notify_all();  // another waiter may start collecting the next batch
      lock.unlock();
      try {
        commit_(batch);
      } catch (const std::exception& e) {
        for (Ticket* t : batch) {
          t->ok = false;
          t->error = e.what();
        }
      } catch (...) {
        for (Ticket* t : batch) {
          t->ok = false;
          t->error = "unknown error";
        }
      }
      lock.lock();
      for (Ticket* t : batch) t->done = true;
      --inflight_;
      cv_.notify_all();
    } else {
      cv_.wait(lock);
    }
  }
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace codestats::ingest
