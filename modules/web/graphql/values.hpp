// Input values against input types (spec "Input Coercion"): literals in the document and
// variable values decoded from JSON share one representation (ast.hpp Value) and one check.
#pragma once

#include <optional>
#include <string>

#include "ast.hpp"

namespace codestats::graphql {

// Why `value` cannot be coerced to `type`, or nullopt when it can. Variables inside the value
// are accepted here: their usages are checked by validation, their values at execution.
std::optional<std::string> inputValueError(const Value& value, const TypeRef& type);

// The value in GraphQL syntax, for messages ("2026-01-01" with quotes, [1, 2], {a: 1}).
// Long values are shortened.
std::string printValue(const Value& value);

// Same shape of value (used to decide whether two fields with one response name can merge).
bool sameValue(const Value& a, const Value& b);

}  // namespace codestats::graphql
