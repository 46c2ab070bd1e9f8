// Tests for host/src/runtime/module_name.hpp: the one module-name rule.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/module_name.hpp"

using Catch::Matchers::Contains;
using codestats::host::invalidModuleNameMessage;
using codestats::host::isValidModuleName;

TEST_CASE("module names: every name in use is valid", "[admin][modules]") {
  // product modules, the SDK example, test fixtures (tests/fixtures, modules/web/tests)
  for (const char* n : {"web", "ingest", "channels", "mail", "cache", "example", "hello", "echo", "probe",
                        "event_probe", "abi10", "abi11", "other", "cache_2", "a"}) {
    INFO(n);
    CHECK(isValidModuleName(n));
  }
  CHECK(isValidModuleName(std::string(64, 'a')));
}

TEST_CASE("module names: anything that could leave its directory or is not a plain name is invalid",
          "[admin][modules]") {
  for (const std::string& n :
       std::vector<std::string>{"", "../../x", "..", ".", "a/b", "/etc", "Hello", "WEB", "1abc", "_x", "a-b", "a.b",
                                "a b", "x%2Fy", "caf\xc3\xa9", std::string("a\0b", 3), std::string(65, 'a')}) {
    INFO(n);
    CHECK_FALSE(isValidModuleName(n));
  }
}

TEST_CASE("module names: the refusal names the rule and does not echo control characters", "[admin][modules]") {
  std::string msg = invalidModuleNameMessage("../x\n\x1b[31m");
  CHECK_THAT(msg, Contains("^[a-z][a-z0-9_]{0,63}$"));
  CHECK_THAT(msg, Contains("'../x??[31m'"));
  CHECK(msg.find('\n') == std::string::npos);
}
