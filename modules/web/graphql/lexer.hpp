// Tokens of a GraphQL document (spec §2.1 "Source Text"), with 1-based line and column.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace codestats::graphql {

struct Token {
  enum class Kind { End, Punctuator, Name, Int, Float, String };
  Kind kind = Kind::End;
  // Punctuator characters ("{", "...", ...), the name, the number as written, or the
  // string value after escapes (and block-string indentation) are resolved.
  std::string text;
  SourceLocation location;
};

// Splits `source` into tokens, ending with one End token. Throws SyntaxError for invalid
// UTF-8, unknown characters, malformed numbers and strings, and more than kMaxTokens tokens.
std::vector<Token> tokenize(std::string_view source);

// Human-readable form of a token for messages: `Name "foo"`, `"{"`, `<EOF>`.
std::string describe(const Token& token);

}  // namespace codestats::graphql
