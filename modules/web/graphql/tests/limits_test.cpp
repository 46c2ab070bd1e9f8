#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "limits.hpp"

using namespace codestats::graphql;
using namespace codestats::graphql::testing;

namespace {

std::string onlyMessage(const std::string& response) {
  const auto messages = errorMessages(response);
  return messages.size() == 1 ? messages.front() : "expected one error, got: " + response.substr(0, 300);
}

}  // namespace

TEST_CASE("limits: document size", "[graphql][limits]") {
  std::string query = "{ __typename }";
  query += std::string(kMaxDocumentBytes - query.size(), ' ');
  CHECK(run(query) == R"({"data":{"__typename":"RootQueryType"}})");
  query += " ";
  CHECK(onlyMessage(run(query)) == "Document is too large (at most 16384 bytes).");
}

TEST_CASE("limits: token count", "[graphql][limits]") {
  std::string query = "{";
  for (size_t k = 0; k < kMaxTokens; ++k) query += " a";
  query += "}";
  CHECK(onlyMessage(run(query)) == "Syntax Error: Document has too many tokens (at most 2000).");
}

TEST_CASE("limits: syntactic nesting (selection sets and values)", "[graphql][limits]") {
  std::string deep;
  for (int k = 0; k < 30; ++k) deep += "{ a ";
  for (int k = 0; k < 30; ++k) deep += "}";
  CHECK(onlyMessage(run(deep)) == "Syntax Error: Document is nested too deeply (at most 24 levels).");
  std::string list =
      "{ profile(username: " + std::string(100, '[') + "\"x\"" + std::string(100, ']') + ") { totalXp } }";
  CHECK(onlyMessage(run(list)) == "Syntax Error: Document is nested too deeply (at most 24 levels).");
  std::string type = "query ($a: " + std::string(100, '[') + "Int" + std::string(100, ']') + ") { __typename }";
  CHECK(onlyMessage(run(type)) == "Syntax Error: Document is nested too deeply (at most 24 levels).");
}

TEST_CASE("limits: field depth after fragment expansion", "[graphql][limits]") {
  // Inline fragments nest without adding field levels, but the parser's nesting limit still
  // applies to them; through named fragments the field depth of this schema stays at 3.
  CHECK(onlyMessage(run("{ profile(username: \"Nicd\") { languages { name { x } } } }")) ==
        "Field \"name\" must not have a selection since type \"String\" has no subfields.");
  std::string nested = "{ profile(username: \"Nicd\") {";
  for (int k = 0; k < 20; ++k) nested += " ... on Profile {";
  nested += " totalXp";
  for (int k = 0; k < 20; ++k) nested += " }";
  nested += " } }";
  CHECK(run(nested) == R"({"data":{"profile":{"totalXp":1760}}})");
}

TEST_CASE("limits: selections after fragment expansion, and a fragment bomb", "[graphql][limits]") {
  // 2^30 spreads of one field: refused by counting per fragment, without expanding.
  std::string bomb = "{ profile(username: \"Nicd\") { ...F0 } }\nfragment F30 on Profile { totalXp }\n";
  for (int k = 0; k < 30; ++k)
    bomb += "fragment F" + std::to_string(k) + " on Profile { ...F" + std::to_string(k + 1) + " ...F" +
            std::to_string(k + 1) + " }\n";
  // Counted, not expanded: no timing needed to tell, since 2^120 spreads below could never be
  // expanded at all (an expanding implementation would not return; ctest's timeout ends it).
  CHECK(onlyMessage(run(bomb)) == "Query is too large: 3221225472 selections after expanding fragments (at most 500).");
  // 120 levels make the count saturate rather than overflow.
  std::string huge = "{ profile(username: \"Nicd\") { ...F0 } }\nfragment F120 on Profile { totalXp }\n";
  for (int k = 0; k < 120; ++k)
    huge += "fragment F" + std::to_string(k) + " on Profile { ...F" + std::to_string(k + 1) + " ...F" +
            std::to_string(k + 1) + " }\n";
  CHECK(onlyMessage(run(huge)) == "Query is too large: over 4e18 selections after expanding fragments (at most 500).");
}

TEST_CASE("limits: profile fields (data source calls) after expansion", "[graphql][limits]") {
  auto aliases = [](int n) {
    std::string q = "{ profile(username: \"Nicd\") {";
    for (int k = 0; k < n; ++k) q += " t" + std::to_string(k) + ": totalXp";
    return q + " } }";
  };
  MemoryProfileSource source = fixtureSource();
  CHECK(hasData(run(source, aliases(49))));  // 49 + profile = 50
  CHECK(source.calls == 49);                 // one languages() per totalXp
  MemoryProfileSource untouched = fixtureSource();
  CHECK(onlyMessage(run(untouched, aliases(50))) == "Query is too complex: 51 profile fields (at most 50).");
  CHECK(untouched.calls == 0);  // refused before any data was read
}

TEST_CASE("limits: since of the live queries reaches at most kMaxSinceDays back", "[graphql][limits]") {
  // now is 2026-11-26T12:00Z; 371 days before is 2025-11-20.
  CHECK(run(R"({profile(username:"Nicd"){dayLanguageXps(since:"2025-11-20"){xp}}})").find("errors") ==
        std::string::npos);
  const std::string tooOld =
      "Argument \"since\" is too far in the past: at most 371 days before today (2026-11-26, UTC).";
  CHECK(run(R"({profile(username:"Nicd"){totalXp dayLanguageXps(since:"2025-11-19"){xp}}})") ==
        R"({"data":{"profile":{"totalXp":1760,"dayLanguageXps":null}},"errors":[{"message":")" +
            std::string(
                "Argument \\\"since\\\" is too far in the past: at most 371 days before today (2026-11-26, UTC).") +
            R"(","locations":[{"line":1,"column":35}],"path":["profile","dayLanguageXps"]}]})");
  CHECK(onlyMessage(run(R"({profile(username:"Nicd"){languages(since:"2016-01-01T00:00:00Z"){xp}}})")) == tooOld);
  CHECK(onlyMessage(run(R"({profile(username:"Nicd"){machines(since:"0001-01-01T00:00:00Z"){xp}}})")) == tooOld);
  CHECK(run(R"({profile(username:"Nicd"){languages(since:"2025-11-20T00:00:00Z"){xp}}})").find("errors") ==
        std::string::npos);
  // A future since is fine (and empty).
  CHECK(run(R"({profile(username:"Nicd"){languages(since:"9999-12-31T23:59:59Z"){xp}}})") ==
        R"({"data":{"profile":{"languages":[]}}})");
}

TEST_CASE("limits: response values", "[graphql][limits]") {
  // A user with 600 languages a day for 100 days: 60k items of 4 values, more than kMaxResultValues.
  MemoryProfileSource source;
  MemoryUser big;
  big.user = {9, "big", false, kNowMs};
  big.machines = {{"m", true}};
  for (int day = 0; day < 100; ++day) {
    MemoryPulse p{kNowMs - int64_t{day} * 86'400'000, 0, "m", {}};
    for (int l = 0; l < 600; ++l) p.xps.emplace_back("L" + std::to_string(l), 1);
    big.pulses.push_back(std::move(p));
  }
  source.add(big);
  const std::string response =
      run(source, R"({profile(username:"big"){dayLanguageXps(since:"2026-08-01"){date language xp}}})");
  CHECK(response == R"({"data":null,"errors":[{"message":"Response is too large (at most 200000 values)."}]})");
}

TEST_CASE("limits: int literals are 32-bit", "[graphql][limits]") {
  CHECK(onlyMessage(run("query ($a: Int = 2147483648) { profile(username: \"x\") { totalXp } }"))
            .find("Int cannot represent non 32-bit signed integer value: 2147483648") != std::string::npos);
}
