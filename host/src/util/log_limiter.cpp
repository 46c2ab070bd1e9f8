#include "util/log_limiter.hpp"

namespace codestats::host {

bool LogLimiter::allow(Clock::time_point now, uint64_t& suppressed) {
  std::lock_guard lock(mu_);
  if (logged_ && now - last_ < interval_) {
    ++suppressed_;
    return false;
  }
  logged_ = true;
  last_ = now;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace codestats::host
