#include "import_names.hpp"

#include <algorithm>
#include <set>

#include "common/ascii.hpp"
#include "validation.hpp"

namespace codestats::web {

std::map<int64_t, std::string> uniqueMachineNames(const std::vector<std::pair<int64_t, std::string>>& machines) {
  std::vector<std::pair<int64_t, std::string>> byId = machines;
  std::sort(byId.begin(), byId.end());
  std::set<std::string> taken;  // lower-cased names given out so far
  std::map<int64_t, std::string> names;
  // First pass: each name's lowest id keeps it, so that a twin's new name cannot take
  // the plain name of a machine with a higher id.
  std::set<int64_t> renamed;
  for (const auto& [id, name] : byId) {
    if (taken.insert(common::lowerAscii(name)).second) names[id] = name;
    else renamed.insert(id);
  }
  for (const auto& [id, name] : byId) {
    if (!renamed.count(id)) continue;
    std::string candidate = name;
    do candidate += " (" + std::to_string(id) + ")";
    while (!taken.insert(common::lowerAscii(candidate)).second);
    names[id] = candidate;
  }
  return names;
}

std::string usernameOddity(const std::string& username) {
  FieldErrors errors;
  validateUsername(username, errors, "username");
  if (errors.empty()) return "";
  std::string why;
  for (const auto& message : errors["username"]) why += (why.empty() ? "" : ", ") + message;
  return why;
}

}  // namespace codestats::web
