// What one batch of web.import-accounts does to the target (docs/operations.md, "Moving
// from Code::Stats"), decided in memory from what the target holds of the batch's rows, so
// that account_import.cpp reads and writes a whole batch in a few statements instead of a
// few per row. Pure: no host calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace codestats::web {

struct SourceUser {
  int64_t id = 0;
  std::string username, password, termsVersion;
  std::optional<std::string> email, gravatarEmail;
  bool privateProfile = false;
  int64_t insertedAt = 0, updatedAt = 0;
};

struct SourceMachine {
  int64_t id = 0, userId = 0;
  std::string name, apiSalt;
  bool active = true;
  int64_t insertedAt = 0, updatedAt = 0;
};

// The original's highest ids: a new id goes above them, so it never takes the id of a row
// a later batch keeps (else one taken id would move every following row to a new one).
struct IdFloor {
  int64_t users = 0, machines = 0;
};

struct AccountBatch {
  std::vector<SourceUser> users;
  std::vector<SourceMachine> machines;
  IdFloor floor;
};

// A user's columns a second run may update, as stored.
struct StoredUser {
  std::string username;
  std::optional<std::string> email;
  std::string password;
  bool privateProfile = false;
  std::string termsVersion;
  std::optional<std::string> gravatarEmail;
  std::string lowered;  // lower(username) as the database computes it
};

// A target user whose username equals a batch user's but for case.
struct NamedUser {
  int64_t id = 0;
  std::string username;
};

// What the target holds that the batch concerns, as the database reports it before the batch.
struct AccountTarget {
  // import_id_map of this source, source id -> target id: the batch's users and machines
  // and the owners of its machines (an owner may be in an earlier batch).
  std::map<int64_t, int64_t> userIds, machineIds;
  // Mapped users' rows, by target id (a mapped user deleted in the target has none).
  std::map<int64_t, StoredUser> mappedUsers;
  // Per batch user, in batch order: its username lowered by the database, and the target
  // users with that lowered username.
  std::vector<std::string> loweredNames;
  std::vector<std::vector<NamedUser>> sameNames;
  // The batch's source ids the target has taken, and its highest ids.
  std::set<int64_t> takenUserIds, takenMachineIds;
  int64_t maxUserId = 0, maxMachineId = 0;
};

struct UserWrite {
  int64_t target = 0;
  const SourceUser* user = nullptr;
};
struct MachineWrite {
  int64_t target = 0, owner = 0;  // target ids
  std::string name;               // as stored (a case-only twin renamed)
  const SourceMachine* machine = nullptr;
};
struct IdMapRow {
  const char* kind = "";  // "user" or "machine"
  int64_t sourceId = 0, targetId = 0;
};

struct AccountPlan {
  // The writes, in batch order (empty in check mode or when something clashed).
  std::vector<UserWrite> newUsers, changedUsers;  // changedUsers: known users that differ
  std::vector<MachineWrite> newMachines, knownMachines;
  std::vector<IdMapRow> idMap;
  // The users whose row is written, in batch order: each gets a user.changed event.
  std::vector<UserWrite> events;
  // The answer's parts.
  std::vector<std::pair<int64_t, int64_t>> userPairs, machinePairs;
  int64_t keptIds = 0;
  std::vector<std::string> clashes, mapped, renamed, oddUsernames;  // JSON values

  bool clashed() const { return !clashes.empty(); }
  // {"users":[[source id, target id]...], "machines":..., "kept_ids", "clashes", "mapped",
  // "renamed_machines", "odd_usernames"}
  std::string answer() const;
};

// Decides the batch row by row as if each row were written before the next is looked at
// (a username an earlier row of the batch takes clashes, a new id is above those given
// out before it). `write`: the target ids of mapped rows are given (check mode answers 0,
// not known yet) and the writes are listed. Throws std::invalid_argument for a machine
// whose user is in no batch so far.
AccountPlan planAccountImport(const AccountBatch& batch, const AccountTarget& target, bool write);

}  // namespace codestats::web
