// One GraphQL request end to end: parse, validate, select the operation, coerce variables,
// execute. Pure: no HTTP, no SDK.
#pragma once

#include <string>
#include <string_view>

#include "ast.hpp"
#include "executor.hpp"
#include "profile_source.hpp"

namespace codestats::graphql {

struct GraphqlRequest {
  std::string_view query;
  Value variables;            // an Object, or Null when the request has none
  std::string operationName;  // empty when not given
};

// The response JSON: {"errors":[...]} when the request never reached execution (syntax,
// validation, operation or variable errors), else {"data":...} with "errors" for failed fields.
ExecutionResult runGraphql(const GraphqlRequest& request, ProfileSource& source, const ExecutionContext& context);

}  // namespace codestats::graphql
