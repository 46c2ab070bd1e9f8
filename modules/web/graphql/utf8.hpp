// UTF-8 checks for everything the engine reads (documents, JSON strings), so that every
// string it writes back into a response is valid UTF-8.
#pragma once

#include <cstddef>
#include <string_view>

namespace codestats::graphql {

// Length of the well-formed UTF-8 sequence starting at s[i] (1-4), or 0 when it is not one
// (overlongs, surrogates and code points above U+10FFFF are not).
size_t utf8SequenceLength(std::string_view s, size_t i);
bool isValidUtf8(std::string_view s);

}  // namespace codestats::graphql
