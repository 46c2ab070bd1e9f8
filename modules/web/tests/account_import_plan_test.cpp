// What one batch of web.import-accounts writes, decided from what the target holds
// (account_import_plan.hpp); the statements themselves run in import_codestats_test.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "account_import_plan.hpp"
#include "common/ascii.hpp"

using namespace codestats::web;

namespace {

SourceUser user(int64_t id, const std::string& name, bool privateProfile = false) {
  return SourceUser{id, name, "hash-" + name, "2018-05-25", std::nullopt, std::nullopt, privateProfile, 1000, 2000};
}
SourceMachine machine(int64_t id, int64_t userId, const std::string& name) {
  return SourceMachine{id, userId, name, "salt-" + std::to_string(id), true, 1000, 2000};
}
StoredUser stored(const SourceUser& u) {
  return StoredUser{u.username,
                    u.email,
                    u.password,
                    u.privateProfile,
                    u.termsVersion,
                    u.gravatarEmail,
                    codestats::common::lowerAscii(u.username)};
}
// The target's answer to the batch's names, as the database would give it (ASCII lower-case).
void lowerNames(const AccountBatch& batch, AccountTarget& t,
                const std::vector<std::pair<int64_t, std::string>>& targetUsers) {
  for (const SourceUser& u : batch.users) {
    std::string lowered = codestats::common::lowerAscii(u.username);
    t.loweredNames.push_back(lowered);
    t.sameNames.emplace_back();
    for (const auto& [id, name] : targetUsers)
      if (codestats::common::lowerAscii(name) == lowered) t.sameNames.back().push_back({id, name});
  }
}
std::vector<int64_t> targets(const std::vector<UserWrite>& v) {
  std::vector<int64_t> out;
  for (const UserWrite& w : v) out.push_back(w.target);
  return out;
}

}  // namespace

TEST_CASE("a second run mixing unchanged, changed, kept, mapped and renamed rows", "[web][import]") {
  AccountBatch batch;
  batch.floor = {10, 9};
  batch.users = {user(1, "same"), user(2, "changed", true), user(3, "mapped"), user(4, "kept")};
  batch.machines = {machine(1, 1, "box"), machine(5, 3, "pc"), machine(6, 4, "Laptop"), machine(7, 4, "laptop")};
  AccountTarget t;
  // Users 1 and 2 and machine 1 came in the first run (user 2 as 12); ids 3 and 5 were
  // taken by the target's own rows since, its highest ids are 20 and 30.
  t.userIds = {{1, 1}, {2, 12}};
  t.machineIds = {{1, 1}};
  t.mappedUsers = {{1, stored(user(1, "same"))}, {12, stored(user(2, "changed", false))}};
  t.takenUserIds = {3};
  t.takenMachineIds = {5};
  t.maxUserId = 20;
  t.maxMachineId = 30;
  lowerNames(batch, t, {{1, "same"}, {12, "changed"}});

  AccountPlan plan = planAccountImport(batch, t, true);
  CHECK(plan.clashes.empty());
  CHECK(plan.userPairs == std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {2, 12}, {3, 21}, {4, 4}});
  CHECK(plan.machinePairs == std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {5, 31}, {6, 6}, {7, 7}});
  CHECK(plan.keptIds == 3);  // user 4, machines 6 and 7
  CHECK(plan.mapped.size() == 2);
  CHECK(targets(plan.changedUsers) == std::vector<int64_t>{12});
  CHECK(targets(plan.newUsers) == std::vector<int64_t>{21, 4});
  // No user.changed for the unchanged user 1.
  CHECK(targets(plan.events) == std::vector<int64_t>{12, 21, 4});
  REQUIRE(plan.knownMachines.size() == 1);
  CHECK(plan.knownMachines[0].target == 1);
  REQUIRE(plan.newMachines.size() == 3);
  CHECK(plan.newMachines[0].owner == 21);  // the mapped user's new id
  CHECK(plan.newMachines[1].name == "Laptop");
  CHECK(plan.newMachines[2].name == "laptop (7)");
  REQUIRE(plan.renamed.size() == 1);
  CHECK(plan.renamed[0] == R"j({"machine_id":7,"user_id":4,"from":"laptop","to":"laptop (7)"})j");
  REQUIRE(plan.idMap.size() == 5);
  CHECK(std::string(plan.idMap[0].kind) == "user");
  CHECK(plan.idMap[0].sourceId == 3);
  CHECK(plan.idMap[0].targetId == 21);
  CHECK(std::string(plan.idMap[2].kind) == "machine");
  CHECK(plan.idMap[2].targetId == 31);

  // Check mode: the same decisions, the new ids not known yet, nothing to write.
  AccountPlan check = planAccountImport(batch, t, false);
  CHECK(check.userPairs == std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {2, 12}, {3, 0}, {4, 4}});
  CHECK(check.machinePairs == std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {5, 0}, {6, 6}, {7, 7}});
  CHECK(check.keptIds == plan.keptIds);
  CHECK(check.mapped == plan.mapped);
  CHECK(check.renamed == plan.renamed);
  CHECK(check.newUsers.empty());
  CHECK(check.changedUsers.empty());
  CHECK(check.newMachines.empty());
  CHECK(check.idMap.empty());
  CHECK(check.events.empty());
}

TEST_CASE("new ids go above every id given out before them in the batch", "[web][import]") {
  AccountBatch batch;  // no id_floor: above the target's highest only
  batch.users = {user(1, "a"), user(2, "b"), user(3, "c")};
  AccountTarget t;
  t.takenUserIds = {1, 2};
  t.maxUserId = 2;
  lowerNames(batch, t, {});
  AccountPlan plan = planAccountImport(batch, t, true);
  // 1 -> 3, so 3 is taken when its own row comes: 2 -> 4, 3 -> 5.
  CHECK(plan.userPairs == std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {2, 4}, {3, 5}});
  CHECK(plan.keptIds == 0);
}

TEST_CASE("usernames taken by the target or by the batch itself clash; a rename frees one", "[web][import]") {
  AccountBatch batch;
  batch.users = {user(1, "Nicd"), user(2, "dave"), user(3, "Carol"), user(4, "Bob"), user(5, "bob"), user(6, "😂")};
  AccountTarget t;
  t.userIds = {{2, 2}};  // user 2, imported as 'carol', is 'dave' in the original now
  t.mappedUsers = {{2, stored(user(2, "carol"))}};
  t.takenUserIds = {1, 2};
  t.maxUserId = 50;
  lowerNames(batch, t, {{50, "NICD"}, {2, "carol"}});
  AccountPlan plan = planAccountImport(batch, t, false);
  REQUIRE(plan.clashes.size() == 2);
  CHECK(
      plan.clashes[0] ==
      R"("username 'Nicd' (original id 1) is taken by user 'NICD' (id 50), which was not imported from this source")");
  CHECK(plan.clashes[1] ==
        R"("username 'bob' (original id 5) is taken by user 'Bob' (id 4), which was not imported from this source")");
  CHECK(plan.oddUsernames.empty());

  AccountPlan write = planAccountImport(batch, t, true);
  CHECK(write.clashed());
  CHECK(write.newUsers.empty());  // refused: nothing to write
  CHECK(write.changedUsers.empty());
  CHECK(write.events.empty());
}

TEST_CASE("a machine whose user is in no batch so far is refused", "[web][import]") {
  AccountBatch batch;
  batch.machines = {machine(1, 99, "box")};
  AccountTarget t;
  CHECK_THROWS_AS(planAccountImport(batch, t, false), std::invalid_argument);
}
