#include "admin_commands.hpp"

#include "machines.hpp"
#include "passwords.hpp"
#include "secrets.hpp"

namespace codestats::web {
namespace {

// 1-255 bytes without control characters (operators may create names the signup form
// would refuse, e.g. for imported accounts).
void checkName(const std::string& what, const std::string& name) {
  if (name.empty() || name.size() > 255) throw Error(CS_E_INVALID, what + " must be 1-255 bytes");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) throw Error(CS_E_INVALID, what + " must not contain control characters");
}

struct MachineRow {
  int64_t id;
  std::string username, name, salt;
  int64_t userId;
  bool active;
};

MachineRow findMachine(App& app, const std::string& username, const std::string& name) {
  auto r = app.host().query(
      "SELECT m.id, u.username, m.api_salt, u.id, m.active FROM machines m JOIN users u ON u.id = m.user_id WHERE "
      "u.username = $1 AND m.name = $2",
      {username, name});
  if (r.empty()) throw Error(CS_E_NOT_FOUND, "no machine '" + name + "' of user '" + username + "'");
  return MachineRow{r[0].i64(0), std::string(r[0].text(1)), name, std::string(r[0].text(2)),
                    r[0].i64(3), r[0].i64(4) != 0};
}

}  // namespace

std::string cmdCreateUser(App& app, const Args& a) {
  if (a.empty() || a.size() > 2 || (a.size() == 2 && a[1] != "--private"))
    throw Error(CS_E_INVALID, "usage: web.create-user USERNAME [--private]");
  checkName("USERNAME", a[0]);
  int64_t now = nowMs();
  auto rows = app.host().query(
      "INSERT INTO users (username, private_profile, inserted_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
      {a[0], a.size() == 2 ? 1 : 0, now});
  User u;
  u.id = rows[0].i64(0);
  u.username = a[0];
  u.privateProfile = a.size() == 2;
  app.users().publishUserChanged(u);
  return std::to_string(u.id) + "\n";
}

std::string cmdCreateMachine(App& app, const Args& a) {
  if (a.size() != 2) throw Error(CS_E_INVALID, "usage: web.create-machine USERNAME MACHINE_NAME");
  checkName("MACHINE_NAME", a[1]);
  auto u = app.host().query("SELECT id FROM users WHERE username = $1", {a[0]});
  if (u.empty()) throw Error(CS_E_NOT_FOUND, "no user '" + a[0] + "'");
  int64_t now = nowMs();
  app.users().commitMachineChange([&](Tx& tx) {
    auto r = tx.query(
        "INSERT INTO machines (user_id, name, active, api_salt, inserted_at, updated_at) VALUES ($1, $2, 1, $3, $4, "
        "$4) RETURNING id",
        {u[0].i64(0), a[1], newApiSalt(), now});
    return Users::MachineChange{r[0].i64(0), u[0].i64(0), a[1], true, false};
  });
  MachineRow m = findMachine(app, a[0], a[1]);
  return machineToken(app, m.username, m.id, m.salt) + "\n";
}

std::string cmdMachineToken(App& app, const Args& a) {
  if (a.size() != 2) throw Error(CS_E_INVALID, "usage: web.machine-token USERNAME MACHINE_NAME");
  MachineRow m = findMachine(app, a[0], a[1]);
  return machineToken(app, m.username, m.id, m.salt) + "\n";
}

std::string cmdSetMachineActive(App& app, const Args& a) {
  if (a.size() != 3 || (a[2] != "true" && a[2] != "false"))
    throw Error(CS_E_INVALID, "usage: web.set-machine-active USERNAME MACHINE_NAME true|false");
  MachineRow m = findMachine(app, a[0], a[1]);
  bool active = a[2] == "true";
  app.users().commitMachineChange([&](Tx& tx) {
    tx.query("UPDATE machines SET active = $1, updated_at = $2 WHERE id = $3", {active ? 1 : 0, nowMs(), m.id});
    return Users::MachineChange{m.id, m.userId, m.name, active, false};
  });
  return a[2] + "\n";
}

std::string cmdDeleteMachine(App& app, const Args& a) {
  if (a.size() != 2) throw Error(CS_E_INVALID, "usage: web.delete-machine USERNAME MACHINE_NAME");
  MachineRow m = findMachine(app, a[0], a[1]);
  deleteMachineData(app, m.userId, m.id, m.name);
  return "deleted " + m.name + "\n";
}

std::string cmdSetSignups(App& app, const Args& a) {
  if (a.size() != 1 || (a[0] != "open" && a[0] != "closed"))
    throw Error(CS_E_INVALID, "usage: web.set-signups open|closed");
  app.users().setSignupsEnabled(a[0] == "open");
  return "signups " + a[0] + "\n";
}

std::string cmdResetPassword(App& app, const Args& a) {
  if (a.size() != 1) throw Error(CS_E_INVALID, "usage: web.reset-password USERNAME");
  auto u = app.users().byNameExact(a[0]);
  if (!u) throw Error(CS_E_NOT_FOUND, "no user '" + a[0] + "'");
  std::string password = randomToken(12);  // 16 characters
  app.host().query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
                   {hashPassword(password), nowMs(), u->id});
  app.sessions().revokeUserSessions(u->id, "");
  app.host().query("DELETE FROM password_resets WHERE user_id = $1", {u->id});
  app.users().publishUserChanged(*u);
  return password + "\n";
}

std::string cmdDeleteUser(App& app, const Args& a) {
  if (a.size() != 1) throw Error(CS_E_INVALID, "usage: web.delete-user USERNAME");
  auto u = app.users().byNameExact(a[0]);
  if (!u) throw Error(CS_E_NOT_FOUND, "no user '" + a[0] + "'");
  app.users().deleteUser(*u);
  return "deleted " + u->username + "\n";
}

}  // namespace codestats::web
