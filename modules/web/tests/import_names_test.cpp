// Names an import of an original Code::Stats database keeps or changes (import_names.hpp).
#include <catch2/catch.hpp>

#include "import_names.hpp"

using codestats::web::uniqueMachineNames;
using codestats::web::usernameOddity;

TEST_CASE("case-only machine twins: the lowest id keeps its name, the others get their id", "[web][import]") {
  auto names = uniqueMachineNames({{8, "LAPTOP"}, {6, "Laptop"}, {7, "laptop"}, {9, "desk"}});
  CHECK(names.at(6) == "Laptop");
  CHECK(names.at(7) == "laptop (7)");
  CHECK(names.at(8) == "LAPTOP (8)");
  CHECK(names.at(9) == "desk");
  // The same input in another order gives the same names (a second run renames alike).
  CHECK(uniqueMachineNames({{9, "desk"}, {7, "laptop"}, {6, "Laptop"}, {8, "LAPTOP"}}) == names);
}

TEST_CASE("a twin's new name never takes a name in use", "[web][import]") {
  // "pc (3)" exists already (id 5, higher than the twin 3): the twin gets one more suffix.
  auto names = uniqueMachineNames({{1, "pc"}, {3, "PC"}, {5, "pc (3)"}});
  CHECK(names.at(1) == "pc");
  CHECK(names.at(5) == "pc (3)");
  CHECK(names.at(3) == "PC (3) (3)");
}

TEST_CASE("usernames signup refuses are named with the reason", "[web][import]") {
  CHECK(usernameOddity("Nicd").empty());
  CHECK(usernameOddity("😂").empty());
  CHECK(usernameOddity("foo bar").empty());
  CHECK_FALSE(usernameOddity("a/b").empty());
  CHECK_FALSE(usernameOddity("100%").empty());
  CHECK_FALSE(usernameOddity(std::string(65, 'x')).empty());
  CHECK_FALSE(usernameOddity("   ").empty());
}
