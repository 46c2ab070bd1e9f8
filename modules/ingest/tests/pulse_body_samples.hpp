// Pulse bodies for the differential test of validatePulseBody (new reader vs the old Poco
// DOM): hand-picked edge cases, and bodies generated from a seeded PRNG (valid pulses with
// random key order, duplicates, number forms, escapes, whitespace and nesting, then
// truncated, flipped or spliced).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace codestats::ingest::samples {

// Edge cases of JSON and of the pulse checks (the bodies of pulse_body_test.cpp among them).
std::vector<std::string> edgeCases();

// `count` generated pulse bodies, the same for the same seed; about half are mutated.
std::vector<std::string> generated(uint32_t seed, size_t count);

}  // namespace codestats::ingest::samples
