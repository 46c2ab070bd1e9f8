// At most one log line per interval for a warning that clients can trigger at will (a page
// elsewhere opening live-update sockets, say): the log stays readable and cannot be used to
// fill the disk. The next line that is let through tells how many were left out.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace codestats::host {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogLimiter(std::chrono::milliseconds interval) : interval_(interval) {}

  // True when this occurrence should be logged; `suppressed` then holds how many were not
  // logged since the previous line.
  bool allow(uint64_t& suppressed) { return allow(Clock::now(), suppressed); }
  bool allow(Clock::time_point now, uint64_t& suppressed);

 private:
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  bool logged_ = false;
  Clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

}  // namespace codestats::host
