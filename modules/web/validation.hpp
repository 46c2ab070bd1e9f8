// Form validation with the original's rules and messages (spec §7.2, §7.7, §8).
// Pure logic: no SDK, unit-tested in tests/validation_test.cpp.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::web {

// Field name -> messages, in the order they were found.
using FieldErrors = std::map<std::string, std::vector<std::string>>;

// The original's messages.
inline constexpr const char* kBlank = "can't be blank";
inline constexpr const char* kInvalidFormat = "has invalid format";
inline constexpr const char* kTaken = "has already been taken";
std::string tooShort(size_t count);  // "should be at least N character(s)"
std::string tooLong(size_t count);   // "should be at most N character(s)"

// User-visible characters: code points, with combining marks, variation selectors, zero
// width joiners and emoji modifiers counted with the character before them (an
// approximation of Ecto's grapheme clusters that agrees for the text people type).
size_t graphemeLength(std::string_view utf8);

// Ecto blank: empty or whitespace only.
bool isBlank(std::string_view s);

// Username: required, 1-64, none of / # % ? & = +, no control characters, valid UTF-8.
void validateUsername(const std::optional<std::string>& v, FieldErrors& errors, const std::string& field = "username");
// Password: required, 6-255.
void validatePassword(const std::optional<std::string>& v, FieldErrors& errors, const std::string& field = "password");
// Optional email (nullopt or empty = none): 3-255 and something@something on one line.
void validateEmail(const std::optional<std::string>& v, FieldErrors& errors, const std::string& field = "email");
// Machine name: required, 1-64, no control characters, valid UTF-8.
void validateMachineName(const std::optional<std::string>& v, FieldErrors& errors, const std::string& field = "name");

}  // namespace codestats::web
