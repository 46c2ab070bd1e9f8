#include "services/scheduler.hpp"

namespace codestats::host {

Scheduler::Scheduler() : thread_([this] { run(); }) {}

Scheduler::~Scheduler() { shutdown(); }

void Scheduler::shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Scheduler::TimerId Scheduler::every(std::chrono::milliseconds period, std::function<void()> fire) {
  if (period.count() < 1) period = std::chrono::milliseconds(1);
  std::lock_guard lock(mu_);
  TimerId id = nextId_++;
  timers_[id] = Timer{period, Clock::now() + period, std::move(fire)};
  cv_.notify_all();
  return id;
}

void Scheduler::cancel(TimerId id) {
  std::unique_lock lock(mu_);
  timers_.erase(id);
  if (std::this_thread::get_id() == thread_.get_id()) return;  // cancelled from its own callback
  firedCv_.wait(lock, [&] { return firing_ != id; });
}

void Scheduler::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto now = Clock::now();
    Clock::time_point wake = now + std::chrono::seconds(1);
    TimerId due = 0;
    for (auto& [id, t] : timers_) {
      if (t.next <= now) {
        due = id;
        break;
      }
      if (t.next < wake) wake = t.next;
    }
    if (!due) {
      cv_.wait_until(lock, wake);
      continue;
    }
    Timer& t = timers_[due];
    t.next = now + t.period;
    std::function<void()> fire = t.fire;
    firing_ = due;
    lock.unlock();
    fire();
    lock.lock();
    firing_ = 0;
    firedCv_.notify_all();
  }
}

}  // namespace codestats::host
