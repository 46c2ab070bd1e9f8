#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "limits.hpp"

using namespace codestats::graphql;
using namespace codestats::graphql::testing;

namespace {

// The introspection query GraphiQL and graphql-js clients send (getIntrospectionQuery with
// descriptions and specifiedByURL).
constexpr const char* kIntrospectionQuery = R"(
query IntrospectionQuery {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
})";

}  // namespace

TEST_CASE("introspection: the standard introspection query runs", "[graphql][introspection]") {
  MemoryProfileSource source = fixtureSource();
  const std::string response = run(source, kIntrospectionQuery);
  REQUIRE(hasData(response));
  CHECK(errorMessages(response).empty());
  CHECK(source.calls == 0);  // introspection never touches the data
  CHECK(response.find(R"("queryType":{"name":"RootQueryType"},"mutationType":null,"subscriptionType":null)") !=
        std::string::npos);
  // dayLanguageXps(since: Date!): [ProfileDaylanguage]
  CHECK(
      response.find(
          R"({"name":"dayLanguageXps","description":"XP per local date and language since a date",)"
          R"("args":[{"name":"since","description":null,"type":{"kind":"NON_NULL","name":null,"ofType":)"
          R"({"kind":"SCALAR","name":"Date","ofType":null}},"defaultValue":null}],)"
          R"("type":{"kind":"LIST","name":null,"ofType":{"kind":"OBJECT","name":"ProfileDaylanguage","ofType":null}},)"
          R"("isDeprecated":false,"deprecationReason":null})") != std::string::npos);
  CHECK(
      response.find(
          R"({"name":"skip","description":"Directs the executor to skip this field or fragment when the `if` argument is true.",)"
          R"("isRepeatable":false,"locations":["FIELD","FRAGMENT_SPREAD","INLINE_FRAGMENT"],)") != std::string::npos);
}

TEST_CASE("introspection: __type", "[graphql][introspection]") {
  CHECK(
      run(R"({ __type(name: "ProfileLanguage") { kind name fields { name type { name kind } } interfaces { name } enumValues { name } } })") ==
      R"({"data":{"__type":{"kind":"OBJECT","name":"ProfileLanguage","fields":[)"
      R"({"name":"name","type":{"name":"String","kind":"SCALAR"}},{"name":"xp","type":{"name":"Int","kind":"SCALAR"}}],)"
      R"("interfaces":[],"enumValues":null}}})");
  CHECK(
      run(R"({ __type(name: "__TypeKind") { kind enumValues { name } fields { name } } })") ==
      R"({"data":{"__type":{"kind":"ENUM","enumValues":[{"name":"SCALAR"},{"name":"OBJECT"},{"name":"INTERFACE"},)"
      R"({"name":"UNION"},{"name":"ENUM"},{"name":"INPUT_OBJECT"},{"name":"LIST"},{"name":"NON_NULL"}],"fields":null}}})");
  CHECK(run(R"({ __type(name: "Nope") { name } })") == R"({"data":{"__type":null}})");
  CHECK(
      run(R"({ t: __type(name: "RootQueryType") { fields { name args { name type { kind ofType { name } } } } } __typename })") ==
      R"({"data":{"t":{"fields":[{"name":"profile","args":[{"name":"username","type":{"kind":"SCALAR","ofType":null}}]}]},)"
      R"("__typename":"RootQueryType"}})");
  CHECK(run(R"({ __schema { types { name } } })").find(R"({"name":"Profile"})") != std::string::npos);
}

TEST_CASE("introspection: validation applies", "[graphql][introspection]") {
  CHECK(errorMessages(run("{ __type { name } }")) ==
        std::vector<std::string>{
            "Field \"__type\" argument \"name\" of type \"String!\" is required, but it was not provided."});
  CHECK(errorMessages(run("{ __schema }")) ==
        std::vector<std::string>{"Field \"__schema\" of type \"__Schema!\" must have a selection of subfields. Did you "
                                 "mean \"__schema { ... }\"?"});
  CHECK(errorMessages(run("{ __schema { types { nope } } }")) ==
        std::vector<std::string>{"Cannot query field \"nope\" on type \"__Type\"."});
  CHECK(errorMessages(run("{ profile(username: \"Nicd\") { __schema { description } } }")) ==
        std::vector<std::string>{"Cannot query field \"__schema\" on type \"Profile\"."});
  CHECK(errorMessages(run("{ __type(name: \"Profile\") { kind { x } } }")) ==
        std::vector<std::string>{
            "Field \"kind\" must not have a selection since type \"__TypeKind!\" has no subfields."});
  // Deeper than kMaxFieldDepth through the ofType chain.
  std::string deep = "{ __schema { types {";
  for (int k = 0; k < kMaxFieldDepth; ++k) deep += " ofType {";
  deep += " name";
  for (int k = 0; k < kMaxFieldDepth; ++k) deep += " }";
  deep += " } } }";
  CHECK(errorMessages(run(deep)) ==
        std::vector<std::string>{"Query is nested too deeply: 19 levels of fields (at most 16)."});
}
