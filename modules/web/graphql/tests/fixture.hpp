// The hand-computed profile the tests query ("Nicd"), and helpers to run documents.
//
// now = 2026-11-26T12:00:00Z; recent window (12 h) starts 2026-11-26T00:00:00Z.
// pulse  sent_at (UTC)          offset  machine        xps              local date, hour
// P1     2026-11-26T10:00:00Z   +120    Best Machine   Elixir 100 C++ 50  2026-11-26 12 (recent)
// P2     2026-11-25T23:30:00Z   +120    Best Machine   C++ 200            2026-11-26 01
// P3     2026-11-20T08:00:00Z   -300    Old Laptop*    Elixir 1000        2026-11-20 03
// P4     2026-01-01T00:30:00Z   -60     Best Machine   Rust 400           2025-12-31 23
// P5     2024-03-01T12:00:00Z   0       Best Machine   Elixir 7           2024-03-01 12
// P6     2024-02-29T12:00:00Z   0       Best Machine   Elixir 3           2024-02-29 12
// (* inactive machine)
// Totals: Elixir 1110, C++ 250, Rust 400 = 1760; Best Machine 760 (Old Laptop hidden).
// Recent: Elixir 100, C++ 50; Best Machine 150.
// Dates: 2024-02-29 3, 2024-03-01 7, 2025-12-31 400, 2026-11-20 1000, 2026-11-26 350.
// ISO weekdays: 3 (Wed) 400, 4 (Thu) 353, 5 (Fri) 1007.
// Day of year (in 2000): 60 3, 61 7, 325 1000, 331 350, 366 400.
// Hours: 1 200, 3 1000, 12 160, 23 400.
#pragma once

#include <optional>
#include <string>

#include "engine.hpp"
#include "json_input.hpp"
#include "memory_profile_source.hpp"

namespace codestats::graphql::testing {

inline constexpr int64_t kNowMs = 1795694400000;         // 2026-11-26T12:00:00Z
inline constexpr int64_t kRegisteredMs = 1464611696000;  // 2016-05-30T12:34:56Z

inline MemoryProfileSource fixtureSource() {
  MemoryProfileSource source;
  MemoryUser nicd;
  nicd.user = {1, "Nicd", false, kRegisteredMs};
  nicd.machines = {{"Best Machine", true}, {"Old Laptop", false}};
  nicd.pulses = {
      {1795687200000, 120, "Best Machine", {{"Elixir", 100}, {"C++", 50}}},
      {1795649400000, 120, "Best Machine", {{"C++", 200}}},
      {1795161600000, -300, "Old Laptop", {{"Elixir", 1000}}},
      {1767227400000, -60, "Best Machine", {{"Rust", 400}}},
      {1709294400000, 0, "Best Machine", {{"Elixir", 7}}},
      {1709208000000, 0, "Best Machine", {{"Elixir", 3}}},
  };
  source.add(nicd);
  MemoryUser secret;
  secret.user = {2, "secret", true, kRegisteredMs};
  secret.machines = {{"m", true}};
  secret.pulses = {{1795687200000, 0, "m", {{"Go", 42}}}};
  source.add(secret);
  MemoryUser empty;  // a new user: no pulses at all
  empty.user = {3, "new user", false, kNowMs};
  source.add(empty);
  return source;
}

// Runs `query` with `variables` (JSON text, may be empty) against `source`.
inline std::string run(ProfileSource& source, std::string_view query, std::string_view variables = "",
                       std::string operationName = "", std::optional<std::string> viewer = std::nullopt) {
  Value vars;
  if (!variables.empty()) {
    std::string error;
    vars = parseJson(variables, error).value();
  }
  return runGraphql({query, vars, operationName}, source, {viewer, kNowMs}).json;
}

inline std::string run(std::string_view query, std::string_view variables = "", std::string operationName = "",
                       std::optional<std::string> viewer = std::nullopt) {
  MemoryProfileSource source = fixtureSource();
  return run(source, query, variables, std::move(operationName), std::move(viewer));
}

// The "message" of every entry in the response's "errors" list.
inline std::vector<std::string> errorMessages(std::string_view response) {
  std::string error;
  const Value body = parseJson(response, error).value();
  std::vector<std::string> out;
  for (const auto& [key, value] : body.fields)
    if (key == "errors")
      for (const Value& e : value.list)
        for (const auto& [k, v] : e.fields)
          if (k == "message") out.push_back(v.text);
  return out;
}

// True when the response has a "data" member (execution started).
inline bool hasData(std::string_view response) { return response.find("{\"data\":") == 0; }

}  // namespace codestats::graphql::testing
