// GraphQL over HTTP for /profile-graph (spec codestats.md §9.1), as a pure function of the
// request, so the web module's route only copies fields in and out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "executor.hpp"
#include "profile_source.hpp"

namespace codestats::graphql {

struct GraphqlHttpRequest {
  std::string_view method;       // "GET" or "POST"
  std::string_view contentType;  // Content-Type header, empty when absent
  std::string_view accept;       // Accept header, empty when absent
  std::string_view queryString;  // raw URL query (after '?'), for query/variables/operationName
  std::string_view body;
};

struct GraphqlHttpResponse {
  int status = 200;
  std::string contentType = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::string> internalErrors;  // unexpected resolver exceptions, for the log
};

// Answers one request:
// - GET ?query=&variables=&operationName=, or POST with a JSON body {"query","variables",
//   "operationName"} (a JSON array is a batch), a form body, or the raw document (any other
//   content type, e.g. text/plain or application/graphql);
// - 200 with the GraphQL response for anything that reached the engine;
// - 400 (no query, malformed JSON, bad variables/operationName types), 405 (other methods),
//   406 (Accept excludes JSON), 413 (body over kMaxBodyBytes), each as {"errors":[{"message"}]}.
GraphqlHttpResponse handleGraphqlHttp(const GraphqlHttpRequest& request, ProfileSource& source,
                                      const ExecutionContext& context);

}  // namespace codestats::graphql
