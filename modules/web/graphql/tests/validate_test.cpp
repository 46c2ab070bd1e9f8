#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace codestats::graphql;
using namespace codestats::graphql::testing;

namespace {

// The only validation error of `query` (fails the test when there are none or several).
std::string onlyError(std::string_view query) {
  const std::string response = run(query);
  const auto messages = errorMessages(response);
  CHECK_FALSE(hasData(response));
  if (messages.size() != 1) return "expected one error, got: " + response;
  return messages.front();
}

}  // namespace

TEST_CASE("validate: unknown fields, and where", "[graphql][validate]") {
  CHECK(onlyError("{ profil(username: \"Nicd\") { totalXp } }") ==
        "Cannot query field \"profil\" on type \"RootQueryType\".");
  CHECK(onlyError("{ profile(username: \"Nicd\") { total } }") == "Cannot query field \"total\" on type \"Profile\".");
  CHECK(onlyError("{ profile(username: \"Nicd\") { languages { name level } } }") ==
        "Cannot query field \"level\" on type \"ProfileLanguage\".");
  CHECK(onlyError("{ __schemas { types { name } } }") == "Cannot query field \"__schemas\" on type \"RootQueryType\".");
  const std::string response = run("{\n  profile(username: \"Nicd\") {\n    nope\n  }\n}");
  CHECK(
      response ==
      R"({"errors":[{"message":"Cannot query field \"nope\" on type \"Profile\".","locations":[{"line":3,"column":5}]}]})");
}

TEST_CASE("validate: arguments", "[graphql][validate]") {
  CHECK(onlyError("{ profile(user: \"Nicd\") { totalXp } }") ==
        "Unknown argument \"user\" on field \"RootQueryType.profile\".");
  CHECK(onlyError("{ profile(username: \"Nicd\") { totalXp(x: 1) } }") ==
        "Unknown argument \"x\" on field \"Profile.totalXp\".");
  CHECK(onlyError("{ profile(username: \"a\", username: \"b\") { totalXp } }") ==
        "There can be only one argument named \"username\".");
  CHECK(onlyError("{ profile(username: \"Nicd\") { dayLanguageXps { date } } }") ==
        "Field \"dayLanguageXps\" argument \"since\" of type \"Date!\" is required, but it was not provided.");
  CHECK(onlyError("{ profile(username: \"Nicd\") { dayLanguageXps(since: null) { date } } }") ==
        "Expected value of type \"Date!\", found null.");
}

TEST_CASE("validate: wrong argument types", "[graphql][validate]") {
  CHECK(onlyError("{ profile(username: 1) { totalXp } }") ==
        "Expected value of type \"String\", found 1; String cannot represent a non string value: 1");
  CHECK(onlyError("{ profile(username: Nicd) { totalXp } }") == "Expected value of type \"String\", found Nicd.");
  CHECK(onlyError("{ profile(username: [\"a\"]) { totalXp } }") == "Expected value of type \"String\", found [\"a\"].");
  CHECK(onlyError("{ profile(username: \"Nicd\") { dates(since: \"2026-02-30\") { xp } } }") ==
        "Expected value of type \"Date\", found \"2026-02-30\"; Date must be a date \"YYYY-MM-DD\", found: "
        "\"2026-02-30\"");
  CHECK(onlyError("{ profile(username: \"Nicd\") { dates(since: \"2026-1-1\") { xp } } }") ==
        "Expected value of type \"Date\", found \"2026-1-1\"; Date must be a date \"YYYY-MM-DD\", found: \"2026-1-1\"");
  CHECK(onlyError("{ profile(username: \"Nicd\") { languages(since: \"yesterday\") { xp } } }") ==
        "Expected value of type \"Datetime\", found \"yesterday\"; Datetime must be an RFC 3339 date and time with "
        "offset, found: \"yesterday\"");
  CHECK(onlyError("{ profile(username: \"Nicd\") { languages(since: \"2026-11-26T00:00:00\") { xp } } }")
            .find("Datetime must be an RFC 3339") != std::string::npos);
  CHECK(onlyError("{ profile(username: \"Nicd\") { totalXp @skip(if: \"yes\") } }") ==
        "Expected value of type \"Boolean!\", found \"yes\"; Boolean cannot represent a non boolean value: \"yes\"");
}

TEST_CASE("validate: leaf and object selections", "[graphql][validate]") {
  CHECK(onlyError("{ profile(username: \"Nicd\") }") ==
        "Field \"profile\" of type \"Profile\" must have a selection of subfields. Did you mean \"profile { ... }\"?");
  CHECK(onlyError("{ profile(username: \"Nicd\") { languages } }") ==
        "Field \"languages\" of type \"[ProfileLanguage]\" must have a selection of subfields. Did you mean "
        "\"languages { ... }\"?");
  CHECK(onlyError("{ profile(username: \"Nicd\") { totalXp { value } } }") ==
        "Field \"totalXp\" must not have a selection since type \"Int\" has no subfields.");
  CHECK(onlyError("{ profile(username: \"Nicd\") { hourOfDayXps { h } } }") ==
        "Field \"hourOfDayXps\" must not have a selection since type \"ProfileHourOfDayXp\" has no subfields.");
  CHECK(onlyError("{ __typename { x } }") ==
        "Field \"__typename\" must not have a selection since type \"String!\" has no subfields.");
}

TEST_CASE("validate: operations", "[graphql][validate]") {
  CHECK(onlyError("mutation { profile(username: \"x\") { totalXp } }") ==
        "Schema is not configured to execute mutation operations; only queries are supported.");
  CHECK(onlyError("subscription S { profile(username: \"x\") { totalXp } }") ==
        "Schema is not configured to execute subscription operations; only queries are supported.");
  CHECK(onlyError("query A { __typename } query A { __typename }") == "There can be only one operation named \"A\".");
  CHECK(errorMessages(run("{ __typename } query B { __typename }")) ==
        std::vector<std::string>{"This anonymous operation must be the only defined operation."});
}

TEST_CASE("validate: variables", "[graphql][validate]") {
  CHECK(onlyError("query Q { profile(username: $name) { totalXp } }") ==
        "Variable \"$name\" is not defined by operation \"Q\".");
  CHECK(onlyError("{ profile(username: $name) { totalXp } }") == "Variable \"$name\" is not defined.");
  CHECK(onlyError("query Q($name: String, $x: Int) { profile(username: $name) { totalXp } }") ==
        "Variable \"$x\" is never used in operation \"Q\".");
  CHECK(onlyError("query Q($a: String, $a: String) { profile(username: $a) { totalXp } }") ==
        "There can be only one variable named \"$a\".");
  CHECK(onlyError("query Q($a: Username) { profile(username: $a) { totalXp } }") == "Unknown type \"Username\".");
  CHECK(onlyError("query Q($a: Profile) { profile(username: $a) { totalXp } }") ==
        "Variable \"$a\" cannot be non-input type \"Profile\".");
  CHECK(onlyError("query Q($a: String = 5) { profile(username: $a) { totalXp } }") ==
        "Variable \"$a\" has an invalid default value: Expected value of type \"String\", found 5; String cannot "
        "represent a non string value: 5");
  CHECK(onlyError("query Q($a: Int) { profile(username: $a) { totalXp } }") ==
        "Variable \"$a\" of type \"Int\" used in position expecting type \"String\".");
  CHECK(onlyError("query Q($d: Date) { profile(username: \"Nicd\") { dayLanguageXps(since: $d) { xp } } }") ==
        "Variable \"$d\" of type \"Date\" used in position expecting type \"Date!\".");
  CHECK(onlyError("query Q($d: String!) { profile(username: \"Nicd\") { dayLanguageXps(since: $d) { xp } } }") ==
        "Variable \"$d\" of type \"String!\" used in position expecting type \"Date!\".");
  CHECK(onlyError("query Q($n: [String]) { profile(username: $n) { totalXp } }") ==
        "Variable \"$n\" of type \"[String]\" used in position expecting type \"String\".");
  // Allowed: a nullable variable with a non-null default in a non-null position; non-null
  // variables in nullable positions; variables used only inside fragments.
  CHECK(errorMessages(run("query Q($d: Date = \"2026-11-01\", $n: String!) { profile(username: $n) { "
                          "dayLanguageXps(since: $d) { xp } } }",
                          R"({"n":"Nicd"})"))
            .empty());
  CHECK(errorMessages(
            run("query Q($n: String) { ...F } fragment F on RootQueryType { profile(username: $n) { totalXp } }",
                R"({"n":"Nicd"})"))
            .empty());
  CHECK(onlyError("query Q { ...F } fragment F on RootQueryType { profile(username: $n) { totalXp } }") ==
        "Variable \"$n\" is not defined by operation \"Q\".");
}

TEST_CASE("validate: fragments", "[graphql][validate]") {
  const std::string use = "{ profile(username: \"Nicd\") { ...F } } ";
  CHECK(onlyError("{ profile(username: \"Nicd\") { ...Nope } }") == "Unknown fragment \"Nope\".");
  CHECK(onlyError(use + "fragment F on Profile { totalXp } fragment G on Profile { totalXp }") ==
        "Fragment \"G\" is never used.");
  CHECK(onlyError(use + "fragment F on Profile { totalXp } fragment F on Profile { registered }") ==
        "There can be only one fragment named \"F\".");
  CHECK(onlyError(use + "fragment F on Profil { totalXp }") == "Unknown type \"Profil\".");
  CHECK(onlyError(use + "fragment F on Int { totalXp }") ==
        "Fragment \"F\" cannot condition on non composite type \"Int\".");
  CHECK(
      onlyError(use + "fragment F on ProfileLanguage { name }") ==
      "Fragment \"F\" cannot be spread here as objects of type \"Profile\" can never be of type \"ProfileLanguage\".");
  CHECK(onlyError("{ profile(username: \"Nicd\") { ... on ProfileMachine { name } } }") ==
        "Fragment cannot be spread here as objects of type \"Profile\" can never be of type \"ProfileMachine\".");
  CHECK(onlyError("{ profile(username: \"Nicd\") { ... on Date { x } } }") ==
        "Fragment cannot condition on non composite type \"Date\".");
}

TEST_CASE("validate: fragment cycles", "[graphql][validate]") {
  CHECK(onlyError("{ profile(username: \"Nicd\") { ...A } } fragment A on Profile { totalXp ...A }") ==
        "Cannot spread fragment \"A\" within itself.");
  CHECK(onlyError(
            "{ profile(username: \"Nicd\") { ...A } } fragment A on Profile { ...B } fragment B on Profile { ...C } "
            "fragment C on Profile { ...A }") == "Cannot spread fragment \"A\" within itself via \"B\", \"C\".");
  // A cycle among fragments no operation uses is still reported (and both are unused).
  const auto messages =
      errorMessages(run("{ __typename } fragment X on Profile { ...Y } fragment Y on Profile { ...X }"));
  CHECK(messages.size() == 3);
}

TEST_CASE("validate: directives", "[graphql][validate]") {
  CHECK(onlyError("{ profile(username: \"Nicd\") { totalXp @defer } }") == "Unknown directive \"@defer\".");
  CHECK(onlyError("{ profile(username: \"Nicd\") { totalXp @skip } }") ==
        "Directive \"@skip\" argument \"if\" of type \"Boolean!\" is required, but it was not provided.");
  CHECK(onlyError("{ profile(username: \"Nicd\") { totalXp @skip(if: true, unless: false) } }") ==
        "Unknown argument \"unless\" on directive \"@skip\".");
  CHECK(onlyError("{ profile(username: \"Nicd\") { totalXp @skip(if: true) @skip(if: false) } }") ==
        "The directive \"@skip\" can only be used once at this location.");
  CHECK(onlyError("query Q @include(if: true) { __typename }") == "Directive \"@include\" may not be used on QUERY.");
  CHECK(onlyError("query Q($b: Boolean) { profile(username: \"Nicd\") { totalXp @include(if: $b) } }") ==
        "Variable \"$b\" of type \"Boolean\" used in position expecting type \"Boolean!\".");
}

TEST_CASE("validate: fields with one response name must merge", "[graphql][validate]") {
  CHECK(onlyError("{ profile(username: \"Nicd\") { x: totalXp x: registered } }") ==
        "Fields \"x\" conflict because \"totalXp\" and \"registered\" are different fields. Use different aliases on "
        "the fields to fetch both if this was intentional.");
  CHECK(onlyError("{ profile(username: \"a\") { totalXp } profile(username: \"b\") { totalXp } }") ==
        "Fields \"profile\" conflict because they have differing arguments. Use different aliases on the fields to "
        "fetch both if this was intentional.");
  CHECK(onlyError("{ profile(username: \"Nicd\") { languages { n: name } ...F } } fragment F on Profile { languages { "
                  "n: xp } }") ==
        "Fields \"n\" conflict because \"name\" and \"xp\" are different fields. Use different aliases on the fields "
        "to fetch both if this was intentional.");
  // Same field and arguments merge, in any argument order.
  CHECK(errorMessages(run("{ profile(username: \"Nicd\") { totalXp totalXp ...F } } fragment F on Profile { totalXp }"))
            .empty());
}

TEST_CASE("validate: many errors are reported together, with a cap", "[graphql][validate]") {
  CHECK(errorMessages(run("{ profile(username: \"Nicd\") { a b c } }")).size() == 3);
  std::string query = "{ profile(username: \"Nicd\") {";
  for (int k = 0; k < 200; ++k) query += " f" + std::to_string(k);
  query += " } }";
  const auto messages = errorMessages(run(query));
  REQUIRE(messages.size() == 51);
  CHECK(messages.back() == "Too many validation errors; validation stopped.");
}
