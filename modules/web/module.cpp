// The web module: the HTML site and the JSON profile API.
// It owns accounts and machines (users, machines tables and their migrations); later it
// will also own sessions, password resets, server-rendered profile pages, the JSON profile
// API and exports, reading aggregates through the cache.v1 service.
//
// For now: GET /health/web, the schema, and admin commands to create users and machines
// and to show a machine's API token (spec codestats.md §3.1).
#include <codestats/sdk.hpp>
#include <sodium.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "../ingest/token.hpp"

// One definition for the descriptor and the health answer.
#define WEB_MODULE_VERSION "0.2.0"

namespace {

using codestats::Error;
using Args = std::vector<std::string>;

// One schema for both backends; only the auto-increment id column type differs.
constexpr const char* kUsersMachines = R"SQL(
CREATE TABLE IF NOT EXISTS users (id {ID}, username TEXT NOT NULL, email TEXT NULL, password_hash TEXT NULL, private_profile INTEGER NOT NULL DEFAULT 0, inserted_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS users_username_index ON users (username);
CREATE UNIQUE INDEX IF NOT EXISTS users_lower_username_index ON users (lower(username));
CREATE TABLE IF NOT EXISTS machines (id {ID}, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, name TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1, api_salt TEXT NOT NULL, inserted_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS machines_user_id_index ON machines (user_id);
CREATE UNIQUE INDEX IF NOT EXISTS machines_user_id_lower_name_index ON machines (user_id, lower(name));
)SQL";

std::string withIdType(std::string sql, std::string_view idType) {
  for (size_t pos; (pos = sql.find("{ID}")) != std::string::npos;) sql.replace(pos, 4, idType);
  return sql;
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A bcrypt-style salt like the original's: "$2b$12$" + 22 characters of bcrypt's alphabet.
std::string newApiSalt() {
  static constexpr char kAlphabet[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string salt = "$2b$12$";
  for (int i = 0; i < 22; ++i) salt += kAlphabet[randombytes_uniform(64)];
  return salt;
}

// 1-64 characters, valid UTF-8 is the caller's business; no control characters.
void checkName(const std::string& what, const std::string& name) {
  if (name.empty() || name.size() > 255) throw Error(CS_E_INVALID, what + " must be 1-255 bytes");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) throw Error(CS_E_INVALID, what + " must not contain control characters");
}

class WebModule : public codestats::Module {
 public:
  explicit WebModule(codestats::Host host) : Module(host) {
    migration(1, "users and machines", withIdType(kUsersMachines, "INTEGER PRIMARY KEY"),
              withIdType(kUsersMachines, "SERIAL PRIMARY KEY"));

    route("GET", "/health/web", [](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"web","status":"ok","version":")" WEB_MODULE_VERSION R"("})");
    });

    command("create-user", "create-user USERNAME [--private]: creates a user and prints its id",
            [this](const Args& a) { return createUser(a); });
    command("create-machine", "create-machine USERNAME MACHINE_NAME: creates a machine and prints its API token",
            [this](const Args& a) { return createMachine(a); });
    command("machine-token", "machine-token USERNAME MACHINE_NAME: prints the machine's API token",
            [this](const Args& a) { return machineToken(a); });
    command("set-machine-active", "set-machine-active USERNAME MACHINE_NAME true|false: (de)activates a machine",
            [this](const Args& a) { return setMachineActive(a); });
  }

 private:
  std::string createUser(const Args& a) {
    if (a.empty() || a.size() > 2 || (a.size() == 2 && a[1] != "--private"))
      throw Error(CS_E_INVALID, "usage: web.create-user USERNAME [--private]");
    checkName("USERNAME", a[0]);
    int64_t now = nowMs();
    auto rows = host().query(
        "INSERT INTO users (username, private_profile, inserted_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        {a[0], a.size() == 2 ? 1 : 0, now});
    return std::to_string(rows[0].i64(0)) + "\n";
  }

  struct MachineRow {
    int64_t id;
    std::string username;
    std::string salt;
    int64_t userId;
  };
  MachineRow findMachine(const std::string& username, const std::string& name) {
    auto r = host().query(
        "SELECT m.id, u.username, m.api_salt, u.id FROM machines m JOIN users u ON u.id = m.user_id WHERE u.username = "
        "$1 AND m.name = $2",
        {username, name});
    if (r.empty()) throw Error(CS_E_NOT_FOUND, "no machine '" + name + "' of user '" + username + "'");
    return MachineRow{r[0].i64(0), std::string(r[0].text(1)), std::string(r[0].text(2)), r[0].i64(3)};
  }

  std::string token(const MachineRow& m) {
    std::string secret = host().config("host.secret_key_base", "");
    return codestats::ingest::generateToken(secret, m.salt, m.username, m.id) + "\n";
  }

  void machineChanged(const MachineRow& m) {
    host().publish("machine.changed",
                   "{\"machine_id\":" + std::to_string(m.id) + ",\"user_id\":" + std::to_string(m.userId) + "}");
  }

  std::string createMachine(const Args& a) {
    if (a.size() != 2) throw Error(CS_E_INVALID, "usage: web.create-machine USERNAME MACHINE_NAME");
    checkName("MACHINE_NAME", a[1]);
    auto u = host().query("SELECT id FROM users WHERE username = $1", {a[0]});
    if (u.empty()) throw Error(CS_E_NOT_FOUND, "no user '" + a[0] + "'");
    int64_t now = nowMs();
    std::string salt = newApiSalt();
    host().query(
        "INSERT INTO machines (user_id, name, active, api_salt, inserted_at, updated_at) VALUES ($1, $2, 1, $3, $4, $4)",
        {u[0].i64(0), a[1], salt, now});
    MachineRow m = findMachine(a[0], a[1]);
    machineChanged(m);
    return token(m);
  }

  std::string machineToken(const Args& a) {
    if (a.size() != 2) throw Error(CS_E_INVALID, "usage: web.machine-token USERNAME MACHINE_NAME");
    return token(findMachine(a[0], a[1]));
  }

  std::string setMachineActive(const Args& a) {
    if (a.size() != 3 || (a[2] != "true" && a[2] != "false"))
      throw Error(CS_E_INVALID, "usage: web.set-machine-active USERNAME MACHINE_NAME true|false");
    MachineRow m = findMachine(a[0], a[1]);
    host().query("UPDATE machines SET active = $1, updated_at = $2 WHERE id = $3", {a[2] == "true" ? 1 : 0, nowMs(), m.id});
    machineChanged(m);
    return a[2] + "\n";
  }
};

}  // namespace

CODESTATS_MODULE(WebModule, "web", WEB_MODULE_VERSION, 1)
