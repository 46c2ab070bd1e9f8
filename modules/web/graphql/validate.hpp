// Validation of an executable document against the profile schema (spec §5 "Validation"):
// operations, fields, arguments, fragments, values, directives, variables, field merging,
// plus the static limits of limits.hpp (selections, data fields and depth after expansion).
#pragma once

#include <vector>

#include "ast.hpp"
#include "error.hpp"

namespace codestats::graphql {

// Every error found, at most kMaxErrors (then one more saying validation stopped).
// An empty result means the document may be executed.
std::vector<GraphqlError> validate(const Document& document);

}  // namespace codestats::graphql
