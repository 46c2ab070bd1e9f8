// "The log grew": a counter every consumer waits on. A local commit and a PostgreSQL
// notification bump it; a consumer that finds it unchanged after its wait reads the log anyway
// (the poll floor), so a lost wake-up costs latency, never an event.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace codestats::host::events {

class WakeSignal {
 public:
  void notify() {
    {
      std::lock_guard lock(mu_);
      ++count_;
    }
    cv_.notify_all();
  }
  uint64_t count() const {
    std::lock_guard lock(mu_);
    return count_;
  }
  // Waits until the count differs from `seen` (then updates it), `stop()` is true, or the
  // timeout passes.
  void wait(uint64_t& seen, std::chrono::milliseconds timeout, const std::function<bool()>& stop) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return count_ != seen || stop(); });
    seen = count_;
  }
  // Wakes waiters so they look at their stop condition (set it before calling). Taking the
  // lock first means no waiter is between its check and its wait.
  void poke() {
    { std::lock_guard lock(mu_); }
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t count_ = 0;
};

}  // namespace codestats::host::events
