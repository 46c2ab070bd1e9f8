// libFuzzer target: the coded_at parser (ISO 8601 with the offsets and fractions real
// plugins send) and the conversions around it. Invariants: no crash, no UB; a resolved
// pulse time has local time = UTC + its offset, and a local hour of 0-23.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/timestamp.hpp"

using namespace codestats::common;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  parseCodedAt(text);
  parseTzOffset(text);
  PulseTime t;
  constexpr int64_t kNowUs = 1764115200LL * 1000000;
  if (resolvePulseTime(text, kNowUs, t) == TimestampError::None) {
    if (t.sentAtLocalMs - t.sentAtMs != int64_t(t.tzOffset) * 60000) std::abort();
    if (t.localHour < 0 || t.localHour > 23) std::abort();
    formatUtc(t.sentAtMs);
    formatLocal(t.sentAtLocalMs, t.tzOffset);
  }
  return 0;
}
