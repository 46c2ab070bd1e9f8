// One module's reader of the event log on one host: a thread that reads the events after
// its cursor, in sequence order, hands each to the module, and writes the cursor back now
// and then. A slow module only falls behind; nothing is dropped. After a crash the events
// after the last written cursor come again (at least once).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <thread>

#include "db/database.hpp"
#include "events/event_log.hpp"
#include "events/wake_signal.hpp"
#include "util/log_limiter.hpp"

namespace codestats::host {
class Metrics;
class Histogram;
}  // namespace codestats::host

namespace codestats::host::events {

// Hands one event to the module's current generation.
using Deliver = std::function<void(const std::string& module, const LoggedEvent& event)>;

// What a reader gets from the log after its cursor: events[from..] (shared between the
// host's readers, which are usually at the same place), whether there may be more right
// after them, and the trim point.
struct LogSlice {
  std::shared_ptr<const std::vector<LoggedEvent>> events;
  size_t from = 0;
  bool more = false;
  uint64_t trimmedThrough = 0;
  uint64_t through = 0;  // everything up to here was read (rows that held no event to deliver too)
};
using ReadLog = std::function<LogSlice(uint64_t after)>;

struct ConsumerSettings {
  std::chrono::milliseconds pollInterval{1000};
  std::chrono::milliseconds saveInterval{1000};        // the cursor is written at most this often...
  std::chrono::milliseconds heartbeatInterval{30000};  // ...and at least this often (it stays live)
};

class EventConsumer {
 public:
  EventConsumer(std::string module, std::string cursorName, uint64_t cursor, db::Pool& pool, WakeSignal& wake,
                ReadLog read, Deliver deliver, Metrics& metrics, ConsumerSettings settings);
  ~EventConsumer();  // stops
  EventConsumer(const EventConsumer&) = delete;
  EventConsumer& operator=(const EventConsumer&) = delete;

  void start();
  // Delivers nothing more, writes the cursor back and joins the thread.
  void stop();

  const std::string& module() const { return module_; }
  uint64_t cursor() const { return cursor_.load(std::memory_order_acquire); }
  uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

 private:
  void run();
  // Reads and delivers until caught up, stopped, or the database fails (logged).
  void drain();
  void save(bool force);
  static int64_t nowMs();

  const std::string module_, cursorName_;
  db::Pool& pool_;
  WakeSignal& wake_;
  ReadLog read_;
  Deliver deliver_;
  const ConsumerSettings settings_;
  Histogram& delay_;
  std::atomic<int64_t>& deliveredTotal_;
  std::atomic<int64_t>& lostTotal_;

  std::atomic<uint64_t> cursor_;
  std::atomic<uint64_t> delivered_{0};
  uint64_t savedCursor_;
  std::chrono::steady_clock::time_point savedAt_;
  std::atomic<bool> stopping_{false};
  LogLimiter dbErrors_{std::chrono::seconds(10)};
  std::thread thread_;
};

}  // namespace codestats::host::events
