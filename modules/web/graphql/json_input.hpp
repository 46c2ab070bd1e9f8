// JSON text (a request body, a `variables` parameter) decoded into the engine's Value.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ast.hpp"

namespace codestats::graphql {

// The decoded value, or nullopt with `error` set (malformed JSON, invalid UTF-8, nesting
// deeper than kMaxNestingDepth). Integers become Int values, other numbers Float values.
std::optional<Value> parseJson(std::string_view text, std::string& error);

}  // namespace codestats::graphql
