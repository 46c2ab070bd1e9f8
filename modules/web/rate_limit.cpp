#include "rate_limit.hpp"

namespace codestats::web {

bool allowAttempt(const CounterIncr& incr, const RateLimit& limit, std::string_view scope, std::string_view subject,
                  int64_t nowMs, int64_t& retryAfter) {
  retryAfter = 0;
  if (limit.maxAttempts <= 0) return true;
  int64_t windowMs = limit.windowSeconds * 1000;
  int64_t window = nowMs / windowMs;
  std::string key = "rl:" + std::string(scope) + ":" + std::to_string(window) + ":" + std::string(subject);
  int64_t n = incr(key, static_cast<uint32_t>(windowMs + 1000));
  if (n <= limit.maxAttempts) return true;
  retryAfter = ((window + 1) * windowMs - nowMs + 999) / 1000;
  return false;
}

}  // namespace codestats::web
