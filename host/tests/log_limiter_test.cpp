// Tests for host/src/util/log_limiter: one line per interval, with the count left out.
#include <catch2/catch.hpp>

#include "util/log_limiter.hpp"

using codestats::host::LogLimiter;
using namespace std::chrono_literals;

TEST_CASE("log limiter: the first occurrence logs, repeats within the interval are counted", "[util]") {
  LogLimiter limiter(10s);
  auto t0 = LogLimiter::Clock::time_point{} + 100s;
  uint64_t suppressed = 99;
  CHECK(limiter.allow(t0, suppressed));
  CHECK(suppressed == 0);
  for (int i = 1; i <= 5; ++i) CHECK_FALSE(limiter.allow(t0 + std::chrono::seconds(i), suppressed));
  CHECK(limiter.allow(t0 + 10s, suppressed));
  CHECK(suppressed == 5);
  CHECK_FALSE(limiter.allow(t0 + 11s, suppressed));
  CHECK(limiter.allow(t0 + 60s, suppressed));
  CHECK(suppressed == 1);
}
