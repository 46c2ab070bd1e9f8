// Periodic timers on one host thread. A timer's callback must be quick: the host's timer
// callbacks only post the module's timer run to the WorkerPool.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace codestats::host {

class Scheduler {
 public:
  using TimerId = uint64_t;
  Scheduler();
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  TimerId every(std::chrono::milliseconds period, std::function<void()> fire);
  void cancel(TimerId id);  // after it returns, `fire` of this timer is not running and won't run
  void shutdown();

 private:
  using Clock = std::chrono::steady_clock;
  struct Timer {
    std::chrono::milliseconds period;
    Clock::time_point next;
    std::function<void()> fire;
  };
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<TimerId, Timer> timers_;
  TimerId nextId_ = 1;
  TimerId firing_ = 0;  // the timer whose callback runs right now (outside the lock)
  std::condition_variable firedCv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace codestats::host
