#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace codestats::graphql;
using namespace codestats::graphql::testing;

TEST_CASE("execute: the query of third-party tools (README cards)", "[graphql][execute]") {
  CHECK(run(R"({profile(username:"Nicd"){totalXp dayLanguageXps(since:"2026-01-01"){date language xp}}})") ==
        R"({"data":{"profile":{"totalXp":1760,"dayLanguageXps":[)"
        R"({"date":"2026-11-20","language":"Elixir","xp":1000},)"
        R"({"date":"2026-11-26","language":"C++","xp":250},)"
        R"({"date":"2026-11-26","language":"Elixir","xp":100}]}}})");
  // sent_at_local decides the day: P4 was 2026-01-01T00:30Z but 2025-12-31 23:30 locally.
  CHECK(run(R"({profile(username:"Nicd"){dayLanguageXps(since:"2025-12-31"){date language xp}}})")
            .find(R"({"date":"2025-12-31","language":"Rust","xp":400})") != std::string::npos);
  CHECK(run(R"({profile(username:"Nicd"){dayLanguageXps(since:"2027-01-01"){date}}})") ==
        R"({"data":{"profile":{"dayLanguageXps":[]}}})");
}

TEST_CASE("execute: the bundled profile page's query, with aliases", "[graphql][execute]") {
  const std::string query = R"(query {
    profile(username: "Nicd") {
      total_langs: languages {name xp}
      recent_langs: languages(since: "2026-11-26T00:00:00Z") {name xp}
      total_machines: machines {name xp}
      recent_machines: machines(since: "2026-11-26T02:00:00+02:00") {name xp}
      day_language_xps: dayLanguageXps(since: "2026-11-12") {date language xp}
      hour_of_day_xps: hourOfDayXps
    }
  })";
  CHECK(run(query) ==
        R"({"data":{"profile":{)"
        R"("total_langs":[{"name":"C++","xp":250},{"name":"Elixir","xp":1110},{"name":"Rust","xp":400}],)"
        R"("recent_langs":[{"name":"C++","xp":50},{"name":"Elixir","xp":100}],)"
        R"("total_machines":[{"name":"Best Machine","xp":760}],)"
        R"("recent_machines":[{"name":"Best Machine","xp":150}],)"
        R"("day_language_xps":[{"date":"2026-11-20","language":"Elixir","xp":1000},)"
        R"({"date":"2026-11-26","language":"C++","xp":250},{"date":"2026-11-26","language":"Elixir","xp":100}],)"
        R"("hour_of_day_xps":{"1":200,"3":1000,"12":160,"23":400}}}})");
}

TEST_CASE("execute: registered, dates, dayOfWeekXps", "[graphql][execute]") {
  CHECK(run(R"({profile(username:"Nicd"){registered}})") ==
        R"({"data":{"profile":{"registered":"2016-05-30T12:34:56Z"}}})");
  CHECK(run(R"({profile(username:"Nicd"){dates{date xp}}})") ==
        R"({"data":{"profile":{"dates":[{"date":"2024-02-29","xp":3},{"date":"2024-03-01","xp":7},)"
        R"({"date":"2025-12-31","xp":400},{"date":"2026-11-20","xp":1000},{"date":"2026-11-26","xp":350}]}}})");
  CHECK(run(R"({profile(username:"Nicd"){dates(since:"2026-11-20"){date xp}}})") ==
        R"({"data":{"profile":{"dates":[{"date":"2026-11-20","xp":1000},{"date":"2026-11-26","xp":350}]}}})");
  CHECK(run(R"({profile(username:"Nicd"){dayOfWeekXps{day xp}}})") ==
        R"({"data":{"profile":{"dayOfWeekXps":[{"day":3,"xp":400},{"day":4,"xp":353},{"day":5,"xp":1007}]}}})");
  CHECK(run(R"({profile(username:"Nicd"){dayOfWeekXps(since:"2026-01-01"){day xp}}})") ==
        R"({"data":{"profile":{"dayOfWeekXps":[{"day":4,"xp":350},{"day":5,"xp":1000}]}}})");
  // dates(since) is a filter of the cached dates: no range limit.
  CHECK(run(R"({profile(username:"Nicd"){dates(since:"1970-01-01"){xp}}})").find("errors") == std::string::npos);
}

TEST_CASE("execute: dayOfYearXps has all 366 days, every year summed into 2000", "[graphql][execute]") {
  const std::string response = run(R"({profile(username:"Nicd"){dayOfYearXps}})");
  std::string expected = R"({"data":{"profile":{"dayOfYearXps":{)";
  for (int day = 1; day <= 366; ++day) {
    const int xp = day == 60 ? 3 : day == 61 ? 7 : day == 325 ? 1000 : day == 331 ? 350 : day == 366 ? 400 : 0;
    expected += (day > 1 ? "," : "") + std::string("\"") + std::to_string(day) + "\":" + std::to_string(xp);
  }
  expected += "}}}}";
  CHECK(response == expected);
}

TEST_CASE("execute: a new user has empty lists and zero totals", "[graphql][execute]") {
  CHECK(run(R"({profile(username:"new user"){totalXp languages{name} machines{name} dates{date} hourOfDayXps}})") ==
        R"({"data":{"profile":{"totalXp":0,"languages":[],"machines":[],"dates":[],"hourOfDayXps":{}}}})");
}

TEST_CASE("execute: unknown and private users (§9.3)", "[graphql][execute]") {
  const std::string notFound =
      R"({"data":{"profile":null},"errors":[{"message":"User not found or no access to profile.","locations":[{"line":1,"column":2}],"path":["profile"]}]})";
  CHECK(run(R"({profile(username:"nobody"){totalXp}})") == notFound);
  CHECK(run(R"({profile(username:"nicd"){totalXp}})") == notFound);  // exact, case-sensitive
  CHECK(run(R"({profile(username:"secret"){totalXp}})") == notFound);
  CHECK(run(R"({profile(username:"secret"){totalXp}})", "", "", "someone else") == notFound);
  CHECK(run(R"({profile(username:"secret"){totalXp}})", "", "", "Secret") == notFound);
  CHECK(run(R"({profile(username:"secret"){totalXp}})", "", "", "secret") == R"({"data":{"profile":{"totalXp":42}}})");
  CHECK(run(R"({profile(username:null){totalXp}})") == notFound);
  CHECK(run(R"({profile{totalXp}})") == notFound);
  // One failing profile does not hide the others.
  CHECK(
      run(R"({a: profile(username:"nobody"){totalXp} b: profile(username:"Nicd"){totalXp}})") ==
      R"({"data":{"a":null,"b":{"totalXp":1760}},"errors":[{"message":"User not found or no access to profile.","locations":[{"line":1,"column":2}],"path":["a"]}]})");
}

TEST_CASE("execute: variables, defaults and operationName", "[graphql][execute]") {
  const std::string query = R"(
    query Totals($name: String!, $since: Date = "2026-11-26") {
      profile(username: $name) { totalXp dayLanguageXps(since: $since) { language xp } }
    }
    query Registered($name: String = "Nicd") { profile(username: $name) { registered } })";
  CHECK(
      run(query, R"({"name":"Nicd"})", "Totals") ==
      R"({"data":{"profile":{"totalXp":1760,"dayLanguageXps":[{"language":"C++","xp":250},{"language":"Elixir","xp":100}]}}})");
  CHECK(run(query, R"({"name":"Nicd","since":"2026-11-20"})", "Totals").find(R"({"language":"Elixir","xp":1000})") !=
        std::string::npos);
  CHECK(run(query, "", "Registered") == R"({"data":{"profile":{"registered":"2016-05-30T12:34:56Z"}}})");
  CHECK(run(query, R"({"name":null})", "Registered").find("User not found") != std::string::npos);
  CHECK(errorMessages(run(query, "", "")) ==
        std::vector<std::string>{"Must provide operation name if query contains multiple operations."});
  CHECK(errorMessages(run(query, "", "Nope")) == std::vector<std::string>{"Unknown operation named \"Nope\"."});
  CHECK(errorMessages(run(query, "{}", "Totals")) ==
        std::vector<std::string>{"Variable \"$name\" of required type \"String!\" was not provided."});
  CHECK(errorMessages(run(query, R"({"name":null})", "Totals")) ==
        std::vector<std::string>{"Variable \"$name\" of non-null type \"String!\" must not be null."});
  CHECK(
      errorMessages(run(query, R"({"name":"Nicd","since":"26.11.2026"})", "Totals")) ==
      std::vector<std::string>{"Variable \"$since\" got invalid value \"26.11.2026\"; Expected value of type \"Date\", "
                               "found \"26.11.2026\"; Date must be a date \"YYYY-MM-DD\", found: \"26.11.2026\""});
  CHECK(errorMessages(run(query, R"({"name":7})", "Totals")).size() == 1);
  CHECK_FALSE(hasData(run(query, R"({"name":7})", "Totals")));
}

TEST_CASE("execute: fragments, inline fragments, @skip/@include and __typename", "[graphql][execute]") {
  const std::string query = R"(
    query ($withMachines: Boolean!, $skipTotal: Boolean = false) {
      __typename
      profile(username: "Nicd") {
        __typename
        ...Totals
        ... on Profile { machines @include(if: $withMachines) { __typename name } }
        ... @skip(if: true) { registered }
      }
    }
    fragment Totals on Profile { totalXp @skip(if: $skipTotal) langs: languages { ...Lang } }
    fragment Lang on ProfileLanguage { name })";
  CHECK(run(query, R"({"withMachines":true})") ==
        R"({"data":{"__typename":"RootQueryType","profile":{"__typename":"Profile","totalXp":1760,)"
        R"("langs":[{"name":"C++"},{"name":"Elixir"},{"name":"Rust"}],)"
        R"("machines":[{"__typename":"ProfileMachine","name":"Best Machine"}]}}})");
  CHECK(run(query, R"({"withMachines":false,"skipTotal":true})") ==
        R"({"data":{"__typename":"RootQueryType","profile":{"__typename":"Profile",)"
        R"("langs":[{"name":"C++"},{"name":"Elixir"},{"name":"Rust"}]}}})");
}

TEST_CASE("execute: repeated fields merge into one response key", "[graphql][execute]") {
  CHECK(
      run(R"({profile(username:"Nicd"){languages{name} totalXp languages{xp}}})") ==
      R"({"data":{"profile":{"languages":[{"name":"C++","xp":250},{"name":"Elixir","xp":1110},{"name":"Rust","xp":400}],"totalXp":1760}}})");
}

namespace {

// Fails some calls the way a real source can: a reported data error, and a bug.
class FailingSource : public MemoryProfileSource {
 public:
  FailingSource() : MemoryProfileSource(fixtureSource()) {}
  std::vector<NamedXp> machines(const ProfileUser&) override { throw ProfileSourceError("Machine list unavailable."); }
  std::vector<HourXp> hours(const ProfileUser&) override { throw std::runtime_error("connection reset"); }
};

}  // namespace

TEST_CASE("execute: a failing resolver gives partial data and an error with its path", "[graphql][execute]") {
  FailingSource source;
  Value none;
  const ExecutionResult result = runGraphql(
      {"{ profile(username: \"Nicd\") {\n totalXp\n m: machines { name }\n hourOfDayXps\n registered } }", none, ""},
      source, {std::nullopt, kNowMs});
  CHECK(
      result.json ==
      R"({"data":{"profile":{"totalXp":1760,"m":null,"hourOfDayXps":null,"registered":"2016-05-30T12:34:56Z"}},"errors":[)"
      R"({"message":"Machine list unavailable.","locations":[{"line":3,"column":2}],"path":["profile","m"]},)"
      R"({"message":"Internal server error.","locations":[{"line":4,"column":2}],"path":["profile","hourOfDayXps"]}]})");
  CHECK(result.internalErrors == std::vector<std::string>{"connection reset"});
}

TEST_CASE("execute: snake_case names match like Absinthe's adapter; keys keep the document's spelling",
          "[graphql][execute]") {
  CHECK(run(R"({profile(username:"Nicd"){total_xp day_language_xps(since:"2026-11-26"){date language xp} TotalXp}})") ==
        R"({"data":{"profile":{"total_xp":1760,"day_language_xps":[{"date":"2026-11-26","language":"C++","xp":250},)"
        R"({"date":"2026-11-26","language":"Elixir","xp":100}],"TotalXp":1760}}})");
  CHECK(run(R"({profile(username:"Nicd"){day_of_week_xps(since:"2026-11-26"){day xp}}})") ==
        R"({"data":{"profile":{"day_of_week_xps":[{"day":4,"xp":350}]}}})");
  // Two spellings of one field under one response key merge; of different fields they conflict.
  CHECK(errorMessages(run(R"({profile(username:"Nicd"){x: total_xp x: totalXp}})")).empty());
  CHECK(errorMessages(run(R"({profile(username:"Nicd"){x: total_xp x: registered}})")).size() == 1);
  CHECK(errorMessages(run(R"({profile(username:"Nicd"){totalxp}})")) ==
        std::vector<std::string>{"Cannot query field \"totalxp\" on type \"Profile\"."});
}
