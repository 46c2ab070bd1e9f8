#include "account_import.hpp"

#include <rapidjson/document.h>

#include <codestats/json.hpp>

#include <set>
#include <stdexcept>

#include "account_import_plan.hpp"
#include "batch_table.hpp"

namespace codestats::web {
namespace {

std::string str(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) throw Error(CS_E_INVALID, std::string("missing string ") + key);
  return std::string(it->value.GetString(), it->value.GetStringLength());
}
std::optional<std::string> optStr(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || it->value.IsNull()) return std::nullopt;
  return str(o, key);
}
int64_t num(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsInt64()) throw Error(CS_E_INVALID, std::string("missing integer ") + key);
  return it->value.GetInt64();
}
bool flag(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsBool()) throw Error(CS_E_INVALID, std::string("missing boolean ") + key);
  return it->value.GetBool();
}

AccountBatch parseBatch(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) throw Error(CS_E_INVALID, "the batch is not a JSON object");
  auto list = [&](const char* key) {
    auto it = d.FindMember(key);
    if (it == d.MemberEnd() || !it->value.IsArray()) throw Error(CS_E_INVALID, std::string("missing array ") + key);
    return it->value.GetArray();
  };
  AccountBatch batch;
  for (const auto& u : list("users")) {
    if (!u.IsObject()) throw Error(CS_E_INVALID, "a user is not an object");
    batch.users.push_back(SourceUser{num(u, "id"), str(u, "username"), str(u, "password"), str(u, "terms_version"),
                                     optStr(u, "email"), optStr(u, "gravatar_email"), flag(u, "private"),
                                     num(u, "inserted_at"), num(u, "updated_at")});
  }
  for (const auto& m : list("machines")) {
    if (!m.IsObject()) throw Error(CS_E_INVALID, "a machine is not an object");
    batch.machines.push_back(SourceMachine{num(m, "id"), num(m, "user_id"), str(m, "name"), str(m, "api_salt"),
                                           flag(m, "active"), num(m, "inserted_at"), num(m, "updated_at")});
  }
  if (auto it = d.FindMember("id_floor"); it != d.MemberEnd()) {
    if (!it->value.IsObject()) throw Error(CS_E_INVALID, "id_floor must be an object");
    batch.floor.users = num(it->value, "users");
    batch.floor.machines = num(it->value, "machines");
  }
  return batch;
}

// The batch's reads and writes: a few statements per batch whatever its size
// (batch_table.hpp). `tx` is null in check mode (reads through the host, writes nothing).
class AccountStore {
 public:
  AccountStore(App& app, std::string source, Tx* tx)
      : app_(app), source_(std::move(source)), tx_(tx), postgres_(app.host().dbBackend() == CS_DB_POSTGRES) {}

  AccountTarget read(const AccountBatch& batch) {
    AccountTarget t;
    t.loweredNames.resize(batch.users.size());
    t.sameNames.resize(batch.users.size());
    // lower() by the database that enforces users_lower_username_index, not by us.
    BatchTable names{{"i", "BIGINT"}, {"id", "BIGINT"}, {"username", "TEXT"}};
    for (size_t i = 0; i < batch.users.size(); ++i)
      names.add({static_cast<int64_t>(i), batch.users[i].id, batch.users[i].username});
    run(names,
        "SELECT v.i, lower(v.username), CASE WHEN EXISTS (SELECT 1 FROM users t WHERE t.id = v.id) THEN 1 ELSE 0 "
        "END, u.id, u.username FROM v LEFT JOIN users u ON lower(u.username) = lower(v.username)",
        {}, [&](const Row& row) {
          auto i = static_cast<size_t>(row.i64(0));
          if (i >= batch.users.size()) throw Error(CS_E_DB, "web.import-accounts: a row out of the batch");
          t.loweredNames[i] = std::string(row.text(1));
          if (row.i64(2)) t.takenUserIds.insert(batch.users[i].id);
          if (!row.isNull(3)) t.sameNames[i].push_back({row.i64(3), std::string(row.text(4))});
        });

    // Joins from v (a batch's rows) to the tables' indexes: with `source_id IN (SELECT ...
    // FROM v)` PostgreSQL scanned import_id_map per batch, 1-2.6 s a batch late in a first run.
    std::set<int64_t> userIds, machineIds;
    for (const SourceUser& u : batch.users) userIds.insert(u.id);
    for (const SourceMachine& m : batch.machines) {
      userIds.insert(m.userId);
      machineIds.insert(m.id);
    }
    run(ids(userIds),
        "SELECT m.source_id, m.target_id, u.id, u.username, u.email, u.password_hash, u.private_profile, "
        "u.terms_version, u.gravatar_email, lower(u.username) FROM v JOIN import_id_map m ON m.source = $1 AND "
        "m.kind = 'user' AND m.source_id = v.id LEFT JOIN users u ON u.id = m.target_id",
        {source_}, [&](const Row& row) {
          t.userIds[row.i64(0)] = row.i64(1);
          if (!row.isNull(2))
            t.mappedUsers[row.i64(2)] =
                StoredUser{std::string(row.text(3)), row.optText(4), std::string(row.text(5)), row.i64(6) != 0,
                           std::string(row.text(7)), row.optText(8), std::string(row.text(9))};
        });
    BatchTable machines = ids(machineIds);
    run(machines,
        "SELECT m.source_id, m.target_id FROM v JOIN import_id_map m ON m.source = $1 AND m.kind = 'machine' AND "
        "m.source_id = v.id",
        {source_}, [&](const Row& row) { t.machineIds[row.i64(0)] = row.i64(1); });
    run(machines, "SELECT t.id FROM v JOIN machines t ON t.id = v.id", {},
        [&](const Row& row) { t.takenMachineIds.insert(row.i64(0)); });
    Rows r = query("SELECT (SELECT COALESCE(MAX(id), 0) FROM users), (SELECT COALESCE(MAX(id), 0) FROM machines)", {});
    t.maxUserId = r[0].i64(0);
    t.maxMachineId = r[0].i64(1);
    return t;
  }

  // Changed rows before new ones: a renamed row may free the name a new one takes.
  void write(const AccountPlan& plan) {
    run(users(plan.changedUsers),
        "UPDATE users SET username = v.username, email = v.email, password_hash = v.password_hash, private_profile "
        "= v.private_profile, terms_version = v.terms_version, gravatar_email = v.gravatar_email, updated_at = "
        "v.updated_at FROM v WHERE users.id = v.id",
        {});
    run(users(plan.newUsers),
        "INSERT INTO users (id, username, email, password_hash, private_profile, terms_version, gravatar_email, "
        "inserted_at, updated_at) SELECT id, username, email, password_hash, private_profile, terms_version, "
        "gravatar_email, inserted_at, updated_at FROM v",
        {});
    // Known machines as the original has them now (a regenerated key's salt); those that
    // did not change are not written.
    run(machines(plan.knownMachines),
        "UPDATE machines SET user_id = v.user_id, name = v.name, active = v.active, api_salt = v.api_salt, "
        "updated_at = v.updated_at FROM v WHERE machines.id = v.id AND (machines.user_id <> v.user_id OR "
        "machines.name <> v.name OR machines.active <> v.active OR machines.api_salt <> v.api_salt OR "
        "machines.updated_at <> v.updated_at)",
        {});
    run(machines(plan.newMachines),
        "INSERT INTO machines (id, user_id, name, active, api_salt, inserted_at, updated_at) SELECT id, user_id, "
        "name, active, api_salt, inserted_at, updated_at FROM v",
        {});
    BatchTable idMap{{"kind", "TEXT"}, {"source_id", "BIGINT"}, {"target_id", "BIGINT"}};
    for (const IdMapRow& m : plan.idMap) idMap.add({m.kind, m.sourceId, m.targetId});
    run(idMap,
        "INSERT INTO import_id_map (source, kind, source_id, target_id) SELECT CAST($1 AS TEXT), kind, source_id, "
        "target_id FROM v",
        {source_});
    if (postgres_)  // explicit ids leave the SERIAL sequences behind: the next signup would clash
      tx_->query(
          "SELECT setval('users_id_seq', (SELECT COALESCE(MAX(id), 1) FROM users)), setval('machines_id_seq', "
          "(SELECT COALESCE(MAX(id), 1) FROM machines))");
    for (const UserWrite& w : plan.events)
      tx_->publish("user.changed", "{\"user_id\":" + std::to_string(w.target) +
                                       ",\"username\":" + jsonString(w.user->username) +
                                       ",\"private\":" + (w.user->privateProfile ? "true" : "false") + "}");
  }

 private:
  Rows query(const std::string& sql, const std::vector<Param>& params) {
    return tx_ ? tx_->query(sql, params) : app_.host().query(sql, params);
  }
  void run(const BatchTable& table, const std::string& statement, const std::vector<Param>& params,
           const std::function<void(const Row&)>& each = {}) {
    table.run([this](const std::string& sql, const std::vector<Param>& p) { return query(sql, p); }, postgres_,
              statement, params, each);
  }
  static BatchTable ids(const std::set<int64_t>& ids) {
    BatchTable table{{"id", "BIGINT"}};
    for (int64_t id : ids) table.add({id});
    return table;
  }
  static BatchTable users(const std::vector<UserWrite>& users) {
    BatchTable table{{"id", "BIGINT"},           {"username", "TEXT"},           {"email", "TEXT"},
                     {"password_hash", "TEXT"},  {"private_profile", "INTEGER"}, {"terms_version", "TEXT"},
                     {"gravatar_email", "TEXT"}, {"inserted_at", "BIGINT"},      {"updated_at", "BIGINT"}};
    for (const UserWrite& w : users) {
      const SourceUser& u = *w.user;
      table.add({w.target, u.username, u.email, u.password, u.privateProfile, u.termsVersion, u.gravatarEmail,
                 u.insertedAt, u.updatedAt});
    }
    return table;
  }
  static BatchTable machines(const std::vector<MachineWrite>& machines) {
    BatchTable table{{"id", "BIGINT"},     {"user_id", "BIGINT"},     {"name", "TEXT"},        {"active", "INTEGER"},
                     {"api_salt", "TEXT"}, {"inserted_at", "BIGINT"}, {"updated_at", "BIGINT"}};
    for (const MachineWrite& w : machines)
      table.add({w.target, w.owner, w.name, w.machine->active, w.machine->apiSalt, w.machine->insertedAt,
                 w.machine->updatedAt});
    return table;
  }

  App& app_;
  std::string source_;
  Tx* tx_;
  bool postgres_;
};

AccountPlan plan(AccountStore& store, const AccountBatch& batch, bool write) {
  try {
    return planAccountImport(batch, store.read(batch), write);
  } catch (const std::invalid_argument& e) {  // a machine whose user is in no batch so far
    throw Error(CS_E_INVALID, e.what());
  }
}

}  // namespace

std::string cmdImportAccounts(App& app, const std::vector<std::string>& args) {
  if (args.size() != 3 || (args[1] != "check" && args[1] != "write"))
    throw Error(CS_E_INVALID, "usage: web.import-accounts SOURCE check|write JSON");
  const AccountBatch batch = parseBatch(args[2]);
  if (args[1] == "check") {
    AccountStore store(app, args[0], nullptr);
    return plan(store, batch, false).answer() + "\n";
  }
  std::string answer;
  app.host().transaction([&](Tx& tx) {
    AccountStore store(app, args[0], &tx);
    AccountPlan p = plan(store, batch, true);
    answer = p.answer();
    // Nothing of the batch is written: the caller checked first, so this is a race.
    if (p.clashed()) throw Error(CS_E_CONFLICT, "refused, nothing written: " + answer);
    store.write(p);
  });
  // Tokens of these machines may have been cached with old salts (a second run).
  app.users().forgetIngestCredentials();
  return answer + "\n";
}

}  // namespace codestats::web
