#include "http/batch_queue.hpp"

#include <algorithm>
#include <exception>

#include "services/worker_pool.hpp"

namespace codestats::host {

void BatchQueue::submit(BatchItem& item) {
  item.queuedAt = std::chrono::steady_clock::now();
  bool start = false;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(&item);
    if (collecting_) {
      if (queue_.size() >= options_.maxBatch) company_.notify_one();
    } else if (running_ < options_.maxInflight) {
      ++running_;
      start = true;
    }
  }
  if (start) pool_.post([self = shared_from_this()] { self->run(); });
}

void BatchQueue::submitAndWait(BatchItem& item) {
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  item.done = [&](BatchItem&) {
    std::lock_guard g(m);  // notify under the lock: the waiter may return (and free cv) right after
    finished = true;
    cv.notify_one();
  };
  submit(item);
  std::unique_lock g(m);
  cv.wait(g, [&] { return finished; });
}

// With the lock held: moves the next batch into `batch`; false when there is none.
bool BatchQueue::take(std::unique_lock<std::mutex>& lock, std::vector<BatchItem*>& batch) {
  if (queue_.empty()) return false;
  if (queue_.size() == 1 && options_.maxWait.count() > 0 && !collecting_) {
    // Alone: wait for company. Items that queued while other calls ran go without waiting
    // (the next ones queue behind this call the same way).
    collecting_ = true;
    company_.wait_for(lock, options_.maxWait, [&] { return queue_.size() >= options_.maxBatch; });
    collecting_ = false;
    if (queue_.empty()) return false;  // a call that finished meanwhile took them
  }
  const size_t n = std::min(queue_.size(), options_.maxBatch);
  batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  ++stats_.calls;
  stats_.items += n;
  stats_.largestBatch = std::max(stats_.largestBatch, n);
  return true;
}

void BatchQueue::run() {
  std::vector<BatchItem*> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    if (!take(lock, batch)) {
      --running_;
      return;
    }
    // More than one batch waiting (a burst, or this call collected): another call may start.
    bool startAnother = !queue_.empty() && !collecting_ && running_ < options_.maxInflight;
    if (startAnother) ++running_;
    lock.unlock();
    if (startAnother) pool_.post([self = shared_from_this()] { self->run(); });

    std::string error;
    bool ok = false;
    try {
      ok = call_(batch, error);
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown error";
    }
    for (BatchItem* item : batch) {
      if (!ok) {
        item->failed = true;
        item->error = error.empty() ? "batch call failed" : error;
      } else if (item->resp.failed) {  // resp_fail: this request alone
        item->failed = true;
        item->error = item->resp.failure;
      }
      item->done(*item);  // may free the item
    }
    batch.clear();
    lock.lock();
  }
}

BatchQueue::Stats BatchQueue::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace codestats::host
