// The original's validation rules and messages (spec §7.2, §8).
#include <catch2/catch.hpp>

#include "validation.hpp"

using namespace codestats::web;

namespace {
FieldErrors check(void (*fn)(const std::optional<std::string>&, FieldErrors&, const std::string&),
                  std::optional<std::string> v) {
  FieldErrors e;
  fn(v, e, "f");
  return e;
}
}  // namespace

TEST_CASE("grapheme length counts what people see", "[web][validation]") {
  CHECK(graphemeLength("abc") == 3);
  CHECK(graphemeLength("e\xCC\x81") == 1);                                     // e + combining acute
  CHECK(graphemeLength("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD") == 1);              // thumbs up + skin tone
  CHECK(graphemeLength("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x92\xBB") == 1);  // man + ZWJ + laptop
}

TEST_CASE("usernames", "[web][validation]") {
  CHECK(check(validateUsername, "Nicd").empty());
  CHECK(check(validateUsername, "foo bar ünï 😂").empty());
  CHECK(check(validateUsername, std::nullopt)["f"] == std::vector<std::string>{"can't be blank"});
  CHECK(check(validateUsername, "   ")["f"] == std::vector<std::string>{"can't be blank"});
  for (const char* bad : {"a/b", "a#b", "a%b", "a?b", "a&b", "a=b", "a+b", "a\nb"})
    CHECK(check(validateUsername, std::string(bad))["f"] == std::vector<std::string>{"has invalid format"});
  CHECK(check(validateUsername, std::string(64, 'x')).empty());
  CHECK(check(validateUsername, std::string(65, 'x'))["f"] ==
        std::vector<std::string>{"should be at most 64 character(s)"});
  CHECK(check(validateUsername, std::string("\xFF"))["f"] == std::vector<std::string>{"has invalid format"});
}

TEST_CASE("passwords", "[web][validation]") {
  CHECK(check(validatePassword, "secret").empty());
  CHECK(check(validatePassword, "12345")["f"] == std::vector<std::string>{"should be at least 6 character(s)"});
  CHECK(check(validatePassword, std::string(256, 'p'))["f"] ==
        std::vector<std::string>{"should be at most 255 character(s)"});
  CHECK(check(validatePassword, "")["f"] == std::vector<std::string>{"can't be blank"});
}

TEST_CASE("emails are optional; present ones need something@something", "[web][validation]") {
  CHECK(check(validateEmail, std::nullopt).empty());
  CHECK(check(validateEmail, "").empty());
  CHECK(check(validateEmail, "a@b").empty());
  CHECK(check(validateEmail, "nobody")["f"] == std::vector<std::string>{"has invalid format"});
  CHECK(check(validateEmail, "@b")["f"] ==
        std::vector<std::string>{"should be at least 3 character(s)", "has invalid format"});
  CHECK(check(validateEmail, "a@b\nc")["f"] == std::vector<std::string>{"has invalid format"});
  CHECK(check(validateEmail, std::string(250, 'a') + "@bcdef")["f"] ==
        std::vector<std::string>{"should be at most 255 character(s)"});
}

TEST_CASE("machine names", "[web][validation]") {
  CHECK(check(validateMachineName, "laptop <b>").empty());
  CHECK(check(validateMachineName, " ")["f"] == std::vector<std::string>{"can't be blank"});
  CHECK(check(validateMachineName, std::string(65, 'm'))["f"] ==
        std::vector<std::string>{"should be at most 64 character(s)"});
  CHECK(check(validateMachineName, std::string("a\tb"))["f"] == std::vector<std::string>{"has invalid format"});
}
