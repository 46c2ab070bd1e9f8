// CPU time of validatePulseBody on bodies shaped like ingest_bench's (1-5 languages),
// against the Poco::JSON DOM implementation it replaced. Not a test (and not in the default
// build): run it by hand,
//   cmake --build build --target ingest_pulse_body_bench
//   build/bin/ingest_pulse_body_bench [ROUNDS] [CALLS_PER_ROUND]
// Rounds alternate old/new; the median ns per call of each is printed.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cpu_time.hpp"
#include "pulse_body.hpp"
#include "pulse_body_reference.hpp"

using namespace codestats::ingest;

namespace {

using codestats::bench::cpuNs;
using codestats::bench::median;

constexpr int64_t kNowUs = 1598961600LL * 1000000;  // 2020-09-01T12:00:00Z

std::vector<std::string> bodies(size_t count) {
  static const char* kLangs[] = {"C++",  "Python", "JavaScript", "TypeScript", "Rust", "Go",     "Elixir", "Markdown",
                                 "JSON", "Shell",  "HTML",       "CSS",        "Java", "Kotlin", "SQL",    "YAML"};
  static const char* kCodedAt[] = {"2020-09-01T11:20:31+00:00", "2020-09-01T13:05:10+02:00",
                                   "2020-09-01T06:44:59-05:00", "2020-09-01T16:59:02+05:30"};
  std::mt19937 rng(3);
  std::vector<std::string> out;
  for (size_t k = 0; k < count; ++k) {
    std::string body = std::string("{\"coded_at\":\"") + kCodedAt[rng() % 4] + "\",\"xps\":[";
    int n = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i)
      body += std::string(i ? "," : "") + "{\"language\":\"" + kLangs[rng() % 16] +
              "\",\"xp\":" + std::to_string(1 + rng() % 40) + "}";
    out.push_back(body + "]}");
  }
  return out;
}

template <typename F>
double nsPerCall(const std::vector<std::string>& input, size_t calls, F validate) {
  size_t accepted = 0;
  double start = cpuNs();
  for (size_t i = 0; i < calls; ++i) accepted += validate(input[i % input.size()], nullptr, kNowUs).status == 0;
  double ns = (cpuNs() - start) / static_cast<double>(calls);
  if (accepted != calls) std::fprintf(stderr, "unexpected: %zu of %zu accepted\n", accepted, calls), std::exit(1);
  return ns;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  size_t calls = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 200000;
  auto input = bodies(1024);
  std::vector<double> oldNs, newNs;
  for (int r = 0; r < rounds; ++r) {
    oldNs.push_back(nsPerCall(input, calls, reference::validatePulseBodyWithPocoDom));
    newNs.push_back(nsPerCall(input, calls, validatePulseBody));
  }
  std::printf(
      "validatePulseBody, %d rounds x %zu calls, median CPU ns per call: Poco DOM %.0f, rapidjson SAX %.0f (%.1fx)\n",
      rounds, calls, median(oldNs), median(newNs), median(oldNs) / median(newNs));
}
