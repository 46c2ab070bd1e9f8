// Execution of a validated operation against a ProfileSource (spec codestats.md §9.3),
// written straight to response JSON: {"data":...} plus "errors" for fields that failed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ast.hpp"
#include "error.hpp"
#include "profile_source.hpp"

namespace codestats::graphql {

struct ExecutionContext {
  std::optional<std::string> viewer;  // username of the session user, if logged in
  int64_t nowMs = 0;                  // current time, Unix milliseconds UTC
};

struct ExecutionResult {
  std::string json;                         // the whole response body
  std::vector<std::string> internalErrors;  // texts of unexpected exceptions, for the log
};

using VariableValues = std::map<std::string, Value>;

// The operation to run: the one named, or the only one. Errors when it is ambiguous or unknown.
std::variant<const OperationDefinition*, GraphqlError> selectOperation(const Document& document,
                                                                       const std::string& operationName);

// Coerces the request's variables (a JSON object decoded to an Object value, or Null when
// absent) to the operation's definitions, applying defaults (spec "CoerceVariableValues").
std::variant<VariableValues, std::vector<GraphqlError>> coerceVariables(const OperationDefinition& operation,
                                                                        const Value& provided);

// Runs `operation` of a validated document.
ExecutionResult execute(const Document& document, const OperationDefinition& operation, const VariableValues& variables,
                        ProfileSource& source, const ExecutionContext& context);

}  // namespace codestats::graphql
