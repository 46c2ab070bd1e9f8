// The web module's tables and their migrations (users, machines, sessions, password
// resets, remember-me tokens, settings). Migration 1 is frozen; later ones are expand-only.
#pragma once

#include <string>
#include <vector>

namespace codestats::web {

struct Migration {
  int version;
  std::string name, sqlite, postgres;
};
const std::vector<Migration>& webMigrations();

// The terms version new accounts accept and the consent flow asks for (spec §7.9).
inline constexpr const char* kCurrentTermsVersion = "2020-07-03";

}  // namespace codestats::web
