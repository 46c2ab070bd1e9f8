#include "account_import.hpp"

#include <rapidjson/document.h>

#include <codestats/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "import_names.hpp"

namespace codestats::web {
namespace {

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

// The original's highest ids: a new id goes above them, so it never takes the id of a row
// a later batch keeps (else one taken id would move every following row to a new one).
struct IdFloor {
  int64_t users = 0, machines = 0;
};

void parseBatch(const std::string& json, std::vector<SourceUser>& users, std::vector<SourceMachine>& machines,
                IdFloor& floor) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) throw Error(CS_E_INVALID, "the batch is not a JSON object");
  auto list = [&](const char* key) {
    auto it = d.FindMember(key);
    if (it == d.MemberEnd() || !it->value.IsArray()) throw Error(CS_E_INVALID, std::string("missing array ") + key);
    return it->value.GetArray();
  };
  for (const auto& u : list("users")) {
    if (!u.IsObject()) throw Error(CS_E_INVALID, "a user is not an object");
    users.push_back(SourceUser{num(u, "id"), str(u, "username"), str(u, "password"), str(u, "terms_version"),
                               optStr(u, "email"), optStr(u, "gravatar_email"), flag(u, "private"),
                               num(u, "inserted_at"), num(u, "updated_at")});
  }
  for (const auto& m : list("machines")) {
    if (!m.IsObject()) throw Error(CS_E_INVALID, "a machine is not an object");
    machines.push_back(SourceMachine{num(m, "id"), num(m, "user_id"), str(m, "name"), str(m, "api_salt"),
                                     flag(m, "active"), num(m, "inserted_at"), num(m, "updated_at")});
  }
  if (auto it = d.FindMember("id_floor"); it != d.MemberEnd()) {
    if (!it->value.IsObject()) throw Error(CS_E_INVALID, "id_floor must be an object");
    floor.users = num(it->value, "users");
    floor.machines = num(it->value, "machines");
  }
}

using IdMap = std::map<int64_t, int64_t>;

// What one batch does; `tx` is null in check mode (reads through the host, writes nothing).
class AccountImport {
 public:
  AccountImport(App& app, std::string source, Tx* tx, IdFloor floor)
      : app_(app), source_(std::move(source)), tx_(tx), floor_(floor) {}

  void run(const std::vector<SourceUser>& users, const std::vector<SourceMachine>& machines) {
    loadMap("user", users_);
    loadMap("machine", machines_);
    loadImportedUsers();
    for (const SourceUser& u : users) importUser(u);
    std::map<int64_t, std::vector<std::pair<int64_t, std::string>>> byUser;
    for (const SourceMachine& m : machines) byUser[m.userId].emplace_back(m.id, m.name);
    std::map<int64_t, std::string> names;
    for (const auto& [user, list] : byUser)
      for (auto& [id, name] : uniqueMachineNames(list)) names[id] = name;
    for (const SourceMachine& m : machines) importMachine(m, names[m.id]);
    if (tx_ && app_.host().dbBackend() == CS_DB_POSTGRES) {
      // Explicit ids leave the SERIAL sequences behind: the next signup would clash.
      tx_->query("SELECT setval('users_id_seq', (SELECT COALESCE(MAX(id), 1) FROM users))");
      tx_->query("SELECT setval('machines_id_seq', (SELECT COALESCE(MAX(id), 1) FROM machines))");
    }
  }

  std::string answer() const {
    std::string out = "{\"users\":" + pairs(userPairs_) + ",\"machines\":" + pairs(machinePairs_) +
                      ",\"kept_ids\":" + std::to_string(keptIds_) + ",\"clashes\":" + list(clashes_) +
                      ",\"mapped\":" + list(mapped_) + ",\"renamed_machines\":" + list(renamed_) +
                      ",\"odd_usernames\":" + list(oddUsernames_) + "}";
    return out;
  }
  bool clashed() const { return !clashes_.empty(); }

 private:
  Rows read(const std::string& sql, std::initializer_list<Param> params) {
    return tx_ ? tx_->query(sql, params) : app_.host().query(sql, params);
  }

  void loadMap(const char* kind, IdMap& into) {
    Rows r = read("SELECT source_id, target_id FROM import_id_map WHERE source = $1 AND kind = $2", {source_, kind});
    for (size_t i = 0; i < r.size(); ++i) into[r[i].i64(0)] = r[i].i64(1);
  }
  void remember(const char* kind, int64_t sourceId, int64_t targetId) {
    tx_->query("INSERT INTO import_id_map (source, kind, source_id, target_id) VALUES ($1, $2, $3, $4)",
               {source_, kind, sourceId, targetId});
  }
  // The columns a second run may update, as stored (the id map's users, read once per batch).
  using UserRow = std::tuple<std::string, std::optional<std::string>, std::string, int64_t, std::string,
                             std::optional<std::string>>;
  static UserRow rowOf(const SourceUser& u) {
    return {u.username, u.email, u.password, u.privateProfile ? 1 : 0, u.termsVersion, u.gravatarEmail};
  }
  void loadImportedUsers() {
    if (users_.empty()) return;
    Rows r = read(
        "SELECT u.id, u.username, u.email, u.password_hash, u.private_profile, u.terms_version, u.gravatar_email FROM "
        "users u JOIN import_id_map m ON m.target_id = u.id WHERE m.source = $1 AND m.kind = 'user'",
        {source_});
    auto opt = [&](size_t i, int c) {
      return r[i].isNull(c) ? std::nullopt : std::optional<std::string>(std::string(r[i].text(c)));
    };
    for (size_t i = 0; i < r.size(); ++i)
      imported_[r[i].i64(0)] = UserRow{std::string(r[i].text(1)), opt(i, 2), std::string(r[i].text(3)), r[i].i64(4),
                                       std::string(r[i].text(5)), opt(i, 6)};
  }

  bool idFree(const char* table, int64_t id) {
    return read(std::string("SELECT 1 FROM ") + table + " WHERE id = $1", {id}).empty();
  }
  // A mapped row's new id: above the target's ids and the original's.
  int64_t freshId(const char* table, int64_t floor) {
    Rows r = read(std::string("SELECT COALESCE(MAX(id), 0) FROM ") + table, {});
    return std::max(r[0].i64(0), floor) + 1;
  }

  void importUser(const SourceUser& u) {
    if (std::string why = usernameOddity(u.username); !why.empty())
      oddUsernames_.push_back("{\"username\":" + jsonString(u.username) + ",\"kept\":true,\"reason\":" +
                              jsonString("signup would refuse it (" + why + "); kept, its tokens carry it") + "}");
    auto known = users_.find(u.id);
    Rows same = read("SELECT id, username FROM users WHERE lower(username) = lower($1)", {u.username});
    for (size_t i = 0; i < same.size(); ++i) {
      if (known != users_.end() && same[i].i64(0) == known->second) continue;
      clashes_.push_back(jsonString("username '" + u.username + "' (original id " + std::to_string(u.id) +
                                    ") is taken by user '" + std::string(same[i].text(1)) + "' (id " +
                                    std::to_string(same[i].i64(0)) + "), which was not imported from this source"));
    }
    int64_t target = 0;
    if (known != users_.end()) {
      target = known->second;
      // Unchanged since the last run (every user, in a delta): no write, no user.changed.
      auto now = imported_.find(target);
      if (now != imported_.end() && now->second == rowOf(u)) {
        userPairs_.emplace_back(u.id, target);
        return;
      }
      if (tx_)
        tx_->query(
            "UPDATE users SET username = $1, email = $2, password_hash = $3, private_profile = $4, terms_version = "
            "$5, gravatar_email = $6, updated_at = $7 WHERE id = $8",
            {u.username, u.email, u.password, u.privateProfile ? 1 : 0, u.termsVersion, u.gravatarEmail, u.updatedAt,
             target});
    } else {
      bool keep = idFree("users", u.id);
      if (keep) ++keptIds_;
      else
        mapped_.push_back(jsonString("user '" + u.username + "': id " + std::to_string(u.id) +
                                     " is taken in the target; a new id is given (its tokens carry the username "
                                     "and machine ids, not the user id, so they keep working)"));
      if (tx_ && clashes_.empty()) {
        Rows r = tx_->query(
            "INSERT INTO users (id, username, email, password_hash, private_profile, terms_version, gravatar_email, "
            "inserted_at, updated_at) VALUES ($9, $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            {u.username, u.email, u.password, u.privateProfile ? 1 : 0, u.termsVersion, u.gravatarEmail, u.insertedAt,
             u.updatedAt, keep ? u.id : freshId("users", floor_.users)});
        target = r[0].i64(0);
        remember("user", u.id, target);
      } else {
        target = keep ? u.id : 0;  // check mode: not known yet
      }
      users_[u.id] = target;
    }
    userPairs_.emplace_back(u.id, target);
    if (tx_)
      tx_->publish("user.changed", "{\"user_id\":" + std::to_string(target) +
                                       ",\"username\":" + jsonString(u.username) +
                                       ",\"private\":" + (u.privateProfile ? "true" : "false") + "}");
  }

  void importMachine(const SourceMachine& m, const std::string& name) {
    auto owner = users_.find(m.userId);
    if (owner == users_.end())
      throw Error(CS_E_INVALID, "machine " + std::to_string(m.id) + ": its user " + std::to_string(m.userId) +
                                    " is in no batch so far");
    if (name != m.name)
      renamed_.push_back("{\"machine_id\":" + std::to_string(m.id) + ",\"user_id\":" + std::to_string(m.userId) +
                         ",\"from\":" + jsonString(m.name) + ",\"to\":" + jsonString(name) + "}");
    auto known = machines_.find(m.id);
    int64_t target = 0;
    if (known != machines_.end()) {
      target = known->second;
      if (tx_)
        tx_->query(
            "UPDATE machines SET user_id = $1, name = $2, active = $3, api_salt = $4, updated_at = $5 WHERE id = $6",
            {owner->second, name, m.active ? 1 : 0, m.apiSalt, m.updatedAt, target});
    } else {
      bool keep = idFree("machines", m.id);
      if (keep) ++keptIds_;
      else
        mapped_.push_back(jsonString("machine '" + m.name + "' (user id " + std::to_string(m.userId) + "): id " +
                                     std::to_string(m.id) +
                                     " is taken in the target; a new id is given, so its API token changes (the "
                                     "token carries the machine id): its owner must copy the new key"));
      if (tx_ && clashes_.empty()) {
        Rows r = tx_->query(
            "INSERT INTO machines (id, user_id, name, active, api_salt, inserted_at, updated_at) VALUES ($7, $1, $2, "
            "$3, $4, $5, $6) RETURNING id",
            {owner->second, name, m.active ? 1 : 0, m.apiSalt, m.insertedAt, m.updatedAt,
             keep ? m.id : freshId("machines", floor_.machines)});
        target = r[0].i64(0);
        remember("machine", m.id, target);
      } else {
        target = keep ? m.id : 0;
      }
      machines_[m.id] = target;
    }
    machinePairs_.emplace_back(m.id, target);
  }

  static std::string pairs(const std::vector<std::pair<int64_t, int64_t>>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i)
      out += (i ? ",[" : "[") + std::to_string(v[i].first) + "," + std::to_string(v[i].second) + "]";
    return out + "]";
  }
  static std::string list(const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
    return out + "]";
  }

  App& app_;
  std::string source_;
  Tx* tx_;
  IdFloor floor_;
  IdMap users_, machines_;
  std::map<int64_t, UserRow> imported_;  // target id -> stored row, of users a run imported before
  std::vector<std::pair<int64_t, int64_t>> userPairs_, machinePairs_;
  int64_t keptIds_ = 0;
  std::vector<std::string> clashes_, mapped_, renamed_, oddUsernames_;
};

}  // namespace

std::string cmdImportAccounts(App& app, const std::vector<std::string>& args) {
  if (args.size() != 3 || (args[1] != "check" && args[1] != "write"))
    throw Error(CS_E_INVALID, "usage: web.import-accounts SOURCE check|write JSON");
  std::vector<SourceUser> users;
  std::vector<SourceMachine> machines;
  IdFloor floor;
  parseBatch(args[2], users, machines, floor);
  if (args[1] == "check") {
    AccountImport check(app, args[0], nullptr, floor);
    check.run(users, machines);
    return check.answer() + "\n";
  }
  std::string answer;
  app.host().transaction([&](Tx& tx) {
    AccountImport write(app, args[0], &tx, floor);
    write.run(users, machines);
    answer = write.answer();
    // Nothing of the batch is kept: the caller checked first, so this is a race.
    if (write.clashed()) throw Error(CS_E_CONFLICT, "refused, nothing written: " + answer);
  });
  // Tokens of these machines may have been cached with old salts (a second run).
  app.users().forgetIngestCredentials();
  return answer + "\n";
}

}  // namespace codestats::web
