// A GraphQL error as it appears in a response's "errors" list.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace codestats::graphql {

struct SourceLocation {
  uint32_t line = 0;    // 1-based
  uint32_t column = 0;  // 1-based, in Unicode code points like the GraphQL spec asks
};

struct GraphqlError {
  std::string message;
  std::vector<SourceLocation> locations;
  // Response path of the field that failed: keys (strings) and list indices.
  std::vector<std::variant<std::string, int64_t>> path;
};

// Syntax errors stop parsing at the first one.
struct SyntaxError {
  std::string message;
  SourceLocation location;
};

// {"message":...,"locations":[...],"path":[...]} (empty members left out).
std::string errorJson(const GraphqlError& error);
// {"errors":[...]}: a response for a request that never reached execution.
std::string errorsResponse(const std::vector<GraphqlError>& errors);

}  // namespace codestats::graphql
