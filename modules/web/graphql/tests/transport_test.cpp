#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "limits.hpp"
#include "transport.hpp"

using namespace codestats::graphql;
using namespace codestats::graphql::testing;

namespace {

GraphqlHttpResponse post(std::string_view contentType, std::string_view body, std::string_view accept = "",
                         std::string_view queryString = "") {
  MemoryProfileSource source = fixtureSource();
  return handleGraphqlHttp({"POST", contentType, accept, queryString, body}, source, {std::nullopt, kNowMs});
}

GraphqlHttpResponse get(std::string_view queryString, std::string_view accept = "") {
  MemoryProfileSource source = fixtureSource();
  return handleGraphqlHttp({"GET", "", accept, queryString, ""}, source, {std::nullopt, kNowMs});
}

const std::string kTotal = R"({"data":{"profile":{"totalXp":1760}}})";

}  // namespace

TEST_CASE("transport: JSON body with query, variables and operationName", "[graphql][transport]") {
  GraphqlHttpResponse r =
      post("application/json",
           R"({"query":"query T($n: String!) { profile(username: $n) { totalXp } } query R { __typename }",)"
           R"("variables":{"n":"Nicd"},"operationName":"T"})");
  CHECK(r.status == 200);
  CHECK(r.contentType == "application/json; charset=utf-8");
  CHECK(r.body == kTotal);
  // variables as JSON text and null operationName (what some clients send)
  r = post(
      "application/json; charset=utf-8",
      R"({"query":"query ($n: String!) { profile(username: $n) { totalXp } }","variables":"{\"n\":\"Nicd\"}","operationName":null})");
  CHECK(r.body == kTotal);
  r = post("application/json", R"({"query":"{ profile(username: \"Nicd\") { totalXp } }","variables":null})");
  CHECK(r.body == kTotal);
}

TEST_CASE("transport: raw document bodies (the bundled JS posts text/plain)", "[graphql][transport]") {
  const std::string doc = R"({ profile(username: "Nicd") { totalXp } })";
  CHECK(post("text/plain;charset=UTF-8", doc).body == kTotal);
  CHECK(post("application/graphql", doc).body == kTotal);
  CHECK(post("", doc).body == kTotal);
  // §9.1: a JSON body without "query" is taken as the document itself (here, not GraphQL).
  const GraphqlHttpResponse r = post("application/json", R"({"foo":1})");
  CHECK(r.status == 200);
  CHECK(errorMessages(r.body) == std::vector<std::string>{"Syntax Error: Expected Name, found String."});
}

TEST_CASE("transport: GET and form bodies", "[graphql][transport]") {
  CHECK(get("query=%7B+profile(username%3A+%22Nicd%22)+%7B+totalXp+%7D+%7D").body == kTotal);
  MemoryProfileSource source = fixtureSource();
  CHECK(handleGraphqlHttp({"HEAD", "", "", "query=%7B__typename%7D", ""}, source, {}).body ==
        R"({"data":{"__typename":"RootQueryType"}})");
  CHECK(get("query=query+Q(%24n%3A+String)+%7B+profile(username%3A+%24n)+%7B+totalXp+%7D+%7D&variables=%7B%22n%22%3A%"
            "22Nicd%22%7D&operationName=Q")
            .body == kTotal);
  CHECK(
      post("application/x-www-form-urlencoded", "query=%7B+profile(username%3A+%22Nicd%22)+%7B+totalXp+%7D+%7D").body ==
      kTotal);
  // The body's parameters win over the URL's.
  CHECK(post("application/json", R"({"query":"{ profile(username: \"Nicd\") { totalXp } }"})", "",
             "query=%7B__typename%7D")
            .body == kTotal);
  CHECK(post("application/json", R"({"operationName":null})", "", "query=%7B__typename%7D").body ==
        R"({"data":{"__typename":"RootQueryType"}})");
}

TEST_CASE("transport: Accept", "[graphql][transport]") {
  const std::string doc = R"({ profile(username: "Nicd") { totalXp } })";
  for (const char* accept : {"application/json", "*/*", "text/html,application/xhtml+xml,*/*;q=0.8",
                             "application/graphql-response+json", "application/*", "text/html"})
    CHECK(post("text/plain", doc, accept).status == 200);
  for (const char* accept : {"text/csv", "image/png, text/plain", "application/json;q=0", "application/xml"}) {
    const GraphqlHttpResponse r = post("text/plain", doc, accept);
    CHECK(r.status == 406);
    CHECK(r.body == R"({"errors":[{"message":"Not acceptable: this endpoint answers application/json."}]})");
  }
}

TEST_CASE("transport: bad requests", "[graphql][transport]") {
  // `message` ending in "..." is a prefix (the rest is Poco's parser's own words).
  auto check = [](const GraphqlHttpResponse& r, int status, const std::string& message) {
    CHECK(r.status == status);
    CHECK(r.contentType == "application/json; charset=utf-8");
    const auto messages = errorMessages(r.body);
    REQUIRE(messages.size() == 1);
    if (message.ends_with("..."))
      CHECK(messages.front().substr(0, message.size() - 3) == message.substr(0, message.size() - 3));
    else CHECK(messages.front() == message);
  };
  check(post("application/json", "{\"query\": "), 400, "Body is not valid JSON: ...");
  check(post("application/json", "\"just a string\""), 400, "Body must be a JSON object or an array of objects.");
  check(post("application/json", " 42"), 400, "Body must be a JSON object or an array of objects.");
  check(post("application/json", R"({"query":"{a}","variables":{"v":"\ud800"}})"), 400, "Body is not valid JSON: ...");
  check(post("application/json", R"({"query": 5})"), 400, "\"query\" must be a string.");
  check(post("application/json", R"({"query": "{a}", "operationName": 1})"), 400,
        "\"operationName\" must be a string or null.");
  check(post("application/json", R"({"query": "{a}", "variables": [1]})"), 400,
        "\"variables\" must be a JSON object or null.");
  check(post("application/json", R"({"query": "{a}", "variables": "{nope"})"), 400,
        "\"variables\" is not valid JSON: ...");
  check(post("application/json", R"({"query": "  "})"), 400, "No query document supplied.");
  check(post("text/plain", ""), 400, "No query document supplied.");
  check(post("text/plain", "{ a(b: \"\xFF\") }"), 400, "Body is not valid UTF-8.");
  check(post("application/json", "{\"query\": \"\xFF\"}"), 400, "Body is not valid JSON: ...");
  check(get(""), 400, "No query document supplied.");
  check(get("query=%7B__typename%7D&variables=%5B"), 400, "Parameter \"variables\" is not valid JSON: ...");
  check(get("query=%FF"), 400, "Parameter \"query\" is not valid UTF-8.");
  MemoryProfileSource source = fixtureSource();
  check(handleGraphqlHttp({"PUT", "text/plain", "", "", "{__typename}"}, source, {}), 405,
        "Method not allowed; use GET or POST.");
  check(post("text/plain", std::string(kMaxBodyBytes + 1, ' ')), 413,
        "Request body is too large (at most 65536 bytes).");
  // Deep JSON is refused by the JSON parser's depth limit, not by recursion.
  const GraphqlHttpResponse deep =
      post("application/json",
           R"({"query":"{a}","variables":{"v":)" + std::string(10000, '[') + std::string(10000, ']') + "}}");
  CHECK(deep.status == 400);
}

TEST_CASE("transport: GraphQL errors answer 200 in the GraphQL format", "[graphql][transport]") {
  const GraphqlHttpResponse r = post("text/plain", "{ profile(username: \"Nicd\") { nope } }");
  CHECK(r.status == 200);
  CHECK(
      r.body ==
      R"({"errors":[{"message":"Cannot query field \"nope\" on type \"Profile\".","locations":[{"line":1,"column":31}]}]})");
}

TEST_CASE("transport: batches (a JSON array)", "[graphql][transport]") {
  const GraphqlHttpResponse r =
      post("application/json", R"([{"query":"{ profile(username: \"Nicd\") { totalXp } }"},{"query":"{ x }"},7])");
  CHECK(r.status == 200);
  CHECK(
      r.body ==
      "[" + kTotal +
          R"(,{"errors":[{"message":"Cannot query field \"x\" on type \"RootQueryType\".","locations":[{"line":1,"column":3}]}]})"
          R"(,{"errors":[{"message":"Each batch entry must be a JSON object."}]}])");
  std::string big = "[";
  for (size_t k = 0; k <= kMaxBatchSize; ++k) big += std::string(k ? "," : "") + R"({"query":"{__typename}"})";
  big += "]";
  CHECK(errorMessages(post("application/json", big).body) ==
        std::vector<std::string>{"Too many operations in one batch (at most 10)."});
  CHECK(post("application/json", "[]").status == 400);
}

TEST_CASE("transport: the viewer reaches the resolver (own private profile)", "[graphql][transport]") {
  MemoryProfileSource source = fixtureSource();
  const std::string doc = R"({ profile(username: "secret") { totalXp } })";
  CHECK(handleGraphqlHttp({"POST", "text/plain", "", "", doc}, source, {"secret", kNowMs}).body ==
        R"({"data":{"profile":{"totalXp":42}}})");
  CHECK(handleGraphqlHttp({"POST", "text/plain", "", "", doc}, source, {std::nullopt, kNowMs})
            .body.find("User not found") != std::string::npos);
}
