#include "account_import_plan.hpp"

#include <codestats/json.hpp>

#include <algorithm>
#include <stdexcept>

#include "import_names.hpp"

namespace codestats::web {
namespace {

bool unchanged(const StoredUser& stored, const SourceUser& u) {
  return stored.username == u.username && stored.email == u.email && stored.password == u.password &&
         stored.privateProfile == u.privateProfile && stored.termsVersion == u.termsVersion &&
         stored.gravatarEmail == u.gravatarEmail;
}

// Ids as the batch gives them out: a source id is kept where the target (with the rows
// given out before it) has it free, else the row gets one above the target's and the
// original's highest.
class IdAllocator {
 public:
  IdAllocator(std::set<int64_t> taken, int64_t max, int64_t floor)
      : taken_(std::move(taken)), max_(max), floor_(floor) {}
  // The target id for `sourceId`; `kept` tells whether it is the source id.
  int64_t give(int64_t sourceId, bool& kept) {
    kept = !taken_.count(sourceId);
    int64_t id = kept ? sourceId : std::max(max_, floor_) + 1;
    taken_.insert(id);
    max_ = std::max(max_, id);
    return id;
  }

 private:
  std::set<int64_t> taken_;
  int64_t max_, floor_;
};

std::string jsonList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out + "]";
}

std::string jsonPairs(const std::vector<std::pair<int64_t, int64_t>>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i)
    out += (i ? ",[" : "[") + std::to_string(v[i].first) + "," + std::to_string(v[i].second) + "]";
  return out + "]";
}

}  // namespace

std::string AccountPlan::answer() const {
  return "{\"users\":" + jsonPairs(userPairs) + ",\"machines\":" + jsonPairs(machinePairs) +
         ",\"kept_ids\":" + std::to_string(keptIds) + ",\"clashes\":" + jsonList(clashes) +
         ",\"mapped\":" + jsonList(mapped) + ",\"renamed_machines\":" + jsonList(renamed) +
         ",\"odd_usernames\":" + jsonList(oddUsernames) + "}";
}

AccountPlan planAccountImport(const AccountBatch& batch, const AccountTarget& target, bool write) {
  if (target.loweredNames.size() != batch.users.size() || target.sameNames.size() != batch.users.size())
    throw std::logic_error("planAccountImport: the target's names do not match the batch");
  AccountPlan plan;
  // Who holds each lowered username as the batch goes: the target's users first, then the
  // batch's own rows as they are written (a rename frees the old name).
  std::map<std::string, std::map<int64_t, std::string>> holders;
  for (size_t i = 0; i < batch.users.size(); ++i)
    for (const NamedUser& n : target.sameNames[i]) holders[target.loweredNames[i]][n.id] = n.username;
  std::map<int64_t, int64_t> userIds = target.userIds;  // plus this batch's new users
  IdAllocator userAlloc(target.takenUserIds, target.maxUserId, batch.floor.users);
  IdAllocator machineAlloc(target.takenMachineIds, target.maxMachineId, batch.floor.machines);

  for (size_t i = 0; i < batch.users.size(); ++i) {
    const SourceUser& u = batch.users[i];
    const std::string& lowered = target.loweredNames[i];
    if (std::string why = usernameOddity(u.username); !why.empty())
      plan.oddUsernames.push_back("{\"username\":" + jsonString(u.username) + ",\"kept\":true,\"reason\":" +
                                  jsonString("signup would refuse it (" + why + "); kept, its tokens carry it") + "}");
    auto known = userIds.find(u.id);
    for (const auto& [id, name] : holders[lowered]) {
      if (known != userIds.end() && id == known->second) continue;
      plan.clashes.push_back(jsonString("username '" + u.username + "' (original id " + std::to_string(u.id) +
                                        ") is taken by user '" + name + "' (id " + std::to_string(id) +
                                        "), which was not imported from this source"));
    }
    int64_t targetId = 0;
    if (known != userIds.end()) {
      targetId = known->second;
      // Unchanged since the last run (every user, in a delta): no write, no user.changed.
      auto stored = target.mappedUsers.find(targetId);
      if (stored != target.mappedUsers.end() && unchanged(stored->second, u)) {
        plan.userPairs.emplace_back(u.id, targetId);
        continue;
      }
      plan.changedUsers.push_back({targetId, &u});
      if (stored != target.mappedUsers.end()) holders[stored->second.lowered].erase(targetId);
      holders[lowered][targetId] = u.username;
    } else {
      bool kept = false;
      int64_t given = userAlloc.give(u.id, kept);
      if (kept) ++plan.keptIds;
      else
        plan.mapped.push_back(jsonString("user '" + u.username + "': id " + std::to_string(u.id) +
                                         " is taken in the target; a new id is given (its tokens carry the username "
                                         "and machine ids, not the user id, so they keep working)"));
      plan.newUsers.push_back({given, &u});
      plan.idMap.push_back({"user", u.id, given});
      holders[lowered][given] = u.username;
      targetId = write || kept ? given : 0;  // check mode: a new id is not known yet
      userIds[u.id] = targetId;
    }
    plan.userPairs.emplace_back(u.id, targetId);
    plan.events.push_back({targetId, &u});
  }

  std::map<int64_t, std::vector<std::pair<int64_t, std::string>>> byUser;
  for (const SourceMachine& m : batch.machines) byUser[m.userId].emplace_back(m.id, m.name);
  std::map<int64_t, std::string> names;
  for (const auto& [user, list] : byUser)
    for (auto& [id, name] : uniqueMachineNames(list)) names[id] = name;
  for (const SourceMachine& m : batch.machines) {
    auto owner = userIds.find(m.userId);
    if (owner == userIds.end())
      throw std::invalid_argument("machine " + std::to_string(m.id) + ": its user " + std::to_string(m.userId) +
                                  " is in no batch so far");
    const std::string& name = names[m.id];
    if (name != m.name)
      plan.renamed.push_back("{\"machine_id\":" + std::to_string(m.id) + ",\"user_id\":" + std::to_string(m.userId) +
                             ",\"from\":" + jsonString(m.name) + ",\"to\":" + jsonString(name) + "}");
    int64_t targetId = 0;
    if (auto known = target.machineIds.find(m.id); known != target.machineIds.end()) {
      targetId = known->second;
      plan.knownMachines.push_back({targetId, owner->second, name, &m});
    } else {
      bool kept = false;
      int64_t given = machineAlloc.give(m.id, kept);
      if (kept) ++plan.keptIds;
      else
        plan.mapped.push_back(jsonString("machine '" + m.name + "' (user id " + std::to_string(m.userId) + "): id " +
                                         std::to_string(m.id) +
                                         " is taken in the target; a new id is given, so its API token changes (the "
                                         "token carries the machine id): its owner must copy the new key"));
      plan.newMachines.push_back({given, owner->second, name, &m});
      plan.idMap.push_back({"machine", m.id, given});
      targetId = write || kept ? given : 0;
    }
    plan.machinePairs.emplace_back(m.id, targetId);
  }

  if (!write || plan.clashed()) {  // nothing to write
    plan.newUsers.clear();
    plan.changedUsers.clear();
    plan.newMachines.clear();
    plan.knownMachines.clear();
    plan.idMap.clear();
    plan.events.clear();
  }
  return plan;
}

}  // namespace codestats::web
