// libFuzzer target: the pulse body validator of the ingest module (JSON parsing, the
// original's validation order, xps, languages, coded_at through the timestamp parser).
// Invariants: no crash; an accepted pulse has at most 1000 xps with non-empty language
// names; a rejected one has a 400 and a message.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/pulse_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  constexpr int64_t kNowUs = 1764115200LL * 1000000;  // 2025-11-26T00:00:00Z
  auto v = codestats::ingest::validatePulseBody(body, nullptr, kNowUs);
  if (v.status == 0) {
    if (v.pulse.xps.size() > codestats::ingest::kMaxXpsItems) std::abort();
    for (const auto& x : v.pulse.xps)
      if (x.language.empty()) std::abort();
  } else if (v.status != 400 || v.error.empty()) {
    std::abort();
  }
  // The same body with coded_at from the query string (the original merged the two).
  std::string query(body.substr(0, body.size() < 64 ? body.size() : 64));
  codestats::ingest::validatePulseBody(body, &query, kNowUs);
  return 0;
}
