// CPU cost of one GraphQL request in the engine alone (parse, validate, execute, write JSON)
// for the bundled profile page's query against the in-memory test profile. Not a test:
//   cmake --build build --target graphql_engine_bench && time build/bin/graphql_engine_bench
// Read the user time of `time`: wall time includes whatever else the machine runs.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "fixture.hpp"

using namespace codestats::graphql;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  const char* query = R"(query {
    profile(username: "Nicd") {
      total_langs: languages {name xp}
      recent_langs: languages(since: "2026-11-26T00:00:00Z") {name xp}
      total_machines: machines {name xp}
      recent_machines: machines(since: "2026-11-26T02:00:00+02:00") {name xp}
      day_language_xps: dayLanguageXps(since: "2026-11-12") {date language xp}
      day_of_year_xps: dayOfYearXps
      hour_of_day_xps: hourOfDayXps
    }
  })";
  testing::MemoryProfileSource source = testing::fixtureSource();
  size_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    bytes += runGraphql({query, Value{}, ""}, source, {std::nullopt, testing::kNowMs}).json.size();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d requests in %.3f s wall (%.0f/s), %zu response bytes each\n", n, seconds, n / seconds,
              n ? bytes / static_cast<size_t>(n) : 0);
}
