// validatePulseBody (rapidjson SAX, pulse_json.cpp) against the Poco::JSON DOM implementation
// it replaced (pulse_body_reference.cpp): same status, message and pulse for every body of
// the fuzz corpus, the edge cases and generated bodies, with and without coded_at in the
// query string. The few deliberate differences are pinned down at the end.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pulse_body.hpp"
#include "pulse_body_reference.hpp"
#include "pulse_body_samples.hpp"

using namespace codestats::ingest;

namespace {

constexpr int64_t kNow2020 = 1598961600LL * 1000000;  // 2020-09-01T12:00:00Z (the samples' dates)
constexpr int64_t kNow2025 = 1764115200LL * 1000000;  // 2025-11-26T00:00:00Z (the fuzz corpus' dates)

std::string describe(const Validation& v) {
  std::ostringstream out;
  out << v.status << " " << v.error;
  if (v.status != 0) return out.str();
  const codestats::common::PulseTime& t = v.pulse.time;
  out << " t=" << t.sentAtMs << "/" << t.sentAtLocalMs << "/" << t.tzOffset << "/" << t.localDay << "/" << t.localHour;
  for (const XpItem& x : v.pulse.xps)
    out << " [" << jsonString(validUtf8(x.language) ? x.language : "?") << ":" << x.amount << "]";
  return out.str();
}

std::string printable(const std::string& body) {
  std::string out;
  for (unsigned char c : body.substr(0, 400)) {
    char buf[8];
    if (c < 0x20 || c >= 0x7f) std::snprintf(buf, sizeof buf, "\\x%02x", c), out += buf;
    else out += static_cast<char>(c);
  }
  return body.size() > 400 ? out + "..." : out;
}

struct Outcome {
  size_t compared = 0;
  size_t accepted = 0;
  std::vector<std::string> mismatches;
};

void compare(const std::string& body, Outcome& outcome) {
  const std::string validQuery = "2020-09-01T10:00:00Z", badQuery = "yesterday";
  for (int64_t now : {kNow2020, kNow2025}) {
    for (const std::string* query : {static_cast<const std::string*>(nullptr), &validQuery, &badQuery}) {
      std::string expected = describe(reference::validatePulseBodyWithPocoDom(body, query, now));
      std::string actual = describe(validatePulseBody(body, query, now));
      ++outcome.compared;
      if (actual.rfind("0 ", 0) == 0) ++outcome.accepted;
      if (expected != actual && outcome.mismatches.size() < 20)
        outcome.mismatches.push_back(printable(body) + (query ? " (query " + *query + ")" : "") +
                                     "\n    old: " + expected + "\n    new: " + actual);
    }
  }
}

void requireSame(const Outcome& outcome) {
  std::string report;
  for (const std::string& m : outcome.mismatches) report += m + "\n";
  INFO(report);
  CHECK(outcome.mismatches.empty());
}

}  // namespace

TEST_CASE("pulse body differential: the fuzz corpus", "[body][differential]") {
  Outcome outcome;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(CODESTATS_PULSE_CORPUS_DIR)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    compare(body, outcome);
    ++files;
  }
  CHECK(files >= 5);
  CHECK(outcome.accepted > 0);
  requireSame(outcome);
}

TEST_CASE("pulse body differential: edge cases", "[body][differential]") {
  Outcome outcome;
  auto bodies = samples::edgeCases();
  for (const std::string& body : bodies) compare(body, outcome);
  CHECK(bodies.size() > 150);
  CHECK(outcome.accepted > 50);
  requireSame(outcome);
}

TEST_CASE("pulse body differential: generated bodies", "[body][differential]") {
  Outcome outcome;
  auto bodies = samples::generated(20261126, 10000);
  for (const std::string& body : bodies) compare(body, outcome);
  // Both kinds must be well represented for the comparison to mean something.
  CHECK(outcome.accepted > outcome.compared / 20);
  CHECK(outcome.accepted < outcome.compared / 2);
  requireSame(outcome);
}

// Where the new reader answers differently on purpose (docs/decisions.md): Poco 1.11 wrapped
// a few integer literals just beyond int64/uint64 around instead of refusing them, and took
// numbers that rapidjson cannot hold on the way to their value. All are malformed now.
TEST_CASE("pulse body differential: the deliberate differences", "[body][differential]") {
  auto withXp = [](const std::string& xp) {
    return R"({"coded_at":"2020-09-01T10:00:00Z","xps":[{"language":"a","xp":)" + xp + "}]}";
  };
  auto ignored = [](const std::string& n) { return R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],"n":)" + n + "}"; };
  // Poco: 2^64 + k became k, an accepted xp.
  for (const char* n : {"18446744073709551616", "18446744073709551619"}) {
    CHECK(reference::validatePulseBodyWithPocoDom(withXp(n), nullptr, kNow2020).status == 0);
    CHECK(validatePulseBody(withXp(n), nullptr, kNow2020).error == kErrXpsFormat);
  }
  // Poco: -2^63 - 1 became 2^63 - 1; refused as an xp, taken as an ignored value.
  CHECK(reference::validatePulseBodyWithPocoDom(ignored("-9223372036854775809"), nullptr, kNow2020).status == 0);
  CHECK(validatePulseBody(ignored("-9223372036854775809"), nullptr, kNow2020).error == kErrXpsFormat);
  CHECK(validatePulseBody(ignored("-9223372036854775808"), nullptr, kNow2020).status == 0);
  // rapidjson refuses an exponent beyond 308 on a zero mantissa, and 309+ integer digits.
  for (const std::string& n : {std::string("0e400"), "1" + std::string(400, '0') + "e-300"}) {
    CHECK(reference::validatePulseBodyWithPocoDom(ignored(n), nullptr, kNow2020).status == 0);
    CHECK(validatePulseBody(ignored(n), nullptr, kNow2020).error == kErrXpsFormat);
  }
}
