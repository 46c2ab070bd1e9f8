// What the import of an original Code::Stats database does with names our rules refuse
// (docs/operations.md, "Moving from Code::Stats"). Pure: no host calls.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace codestats::web {

// One user's machines as (source id, name). The original's unique index on machine names
// is case-sensitive, ours (user_id, lower(name)) is not: among names equal but for ASCII
// case the lowest id keeps its name and every other one becomes "<name> (<id>)" (a name
// taken even then gets more " (<id>)"). Deterministic, so a second run renames alike. The
// token carries the machine id, not the name: renamed machines keep their keys and XP.
// Returns the stored name for every id.
std::map<int64_t, std::string> uniqueMachineNames(const std::vector<std::pair<int64_t, std::string>>& machines);

// Why our signup would refuse this username ("" when it would accept it). Such usernames
// are imported unchanged: the machine tokens carry the username, so a rename would break
// every key of the account.
std::string usernameOddity(const std::string& username);

}  // namespace codestats::web
