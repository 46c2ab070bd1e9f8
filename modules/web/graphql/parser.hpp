// Parses a GraphQL executable document (operations and fragments; no type-system
// definitions) into the AST of ast.hpp.
#pragma once

#include <string_view>

#include "ast.hpp"

namespace codestats::graphql {

// Throws SyntaxError (with the location of the offending token) on the first error, and
// for documents past kMaxDocumentBytes, kMaxTokens or kMaxNestingDepth.
Document parseDocument(std::string_view source);

}  // namespace codestats::graphql
