// Fixed-window attempt counting for login and forgot-password (per client IP and per
// account). The counter store is passed in (the host KV in the module), so the rule is
// testable without a host. No SDK.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace codestats::web {

struct RateLimit {
  int64_t maxAttempts = 0;  // 0 = unlimited
  int64_t windowSeconds = 60;
};

// incr(key, ttlMs) adds one to the counter `key` (created with the given lifetime) and
// returns the new value.
using CounterIncr = std::function<int64_t(const std::string& key, uint32_t ttlMs)>;

// Counts this attempt in the current window of `scope`/`subject` and returns whether it is
// still within the limit. Seconds until the window ends go to retryAfter.
bool allowAttempt(const CounterIncr& incr, const RateLimit& limit, std::string_view scope, std::string_view subject,
                  int64_t nowMs, int64_t& retryAfter);

}  // namespace codestats::web
