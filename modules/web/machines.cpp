#include "machines.hpp"

#include <sodium.h>

#include "common/token.hpp"
#include "db_util.hpp"

namespace codestats::web {
namespace {

struct Machine {
  int64_t id = 0;
  std::string name, salt;
  bool active = true;
};

std::vector<Machine> machinesOf(App& app, int64_t userId) {
  auto r = app.host().query(
      "SELECT id, name, api_salt, active FROM machines WHERE user_id = $1 ORDER BY inserted_at DESC, id DESC",
      {userId});
  std::vector<Machine> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back({r[i].i64(0), std::string(r[i].text(1)), std::string(r[i].text(2)), r[i].i64(3) != 0});
  return out;
}

// The machine of the :id path parameter owned by the current user; answers 400 for a
// malformed id and 404 for another user's or a missing machine.
std::optional<Machine> ownMachine(App& app, Ctx& c) {
  auto raw = c.req.param("id");
  std::string id(raw ? *raw : std::string_view());
  bool numeric = !id.empty() && id.size() <= 18 && id.find_first_not_of("0123456789") == std::string::npos;
  if (!numeric) {
    app.pages().badRequest(c, "The machine id must be a number.");
    return std::nullopt;
  }
  auto r = app.host().query("SELECT id, name, api_salt, active FROM machines WHERE id = $1 AND user_id = $2",
                            {static_cast<int64_t>(std::stoll(id)), c.user->id});
  if (r.empty()) {
    app.pages().notFound(c);
    return std::nullopt;
  }
  return Machine{r[0].i64(0), std::string(r[0].text(1)), std::string(r[0].text(2)), r[0].i64(3) != 0};
}

void renderList(App& app, Ctx& c, int status, const FieldErrors& errors, const std::string& newName) {
  Data active{Data::type::list}, inactive{Data::type::list};
  for (const auto& m : machinesOf(app, c.user->id)) {
    Data d;
    d.set("id", std::to_string(m.id));
    d.set("name", m.name);
    if (m.active) {
      d.set("token", machineToken(app, c.user->username, m.id, m.salt));
      active.push_back(d);
    } else {
      inactive.push_back(d);
    }
  }
  Data d;
  d.set("has_machines", !active.is_empty_list() || !inactive.is_empty_list());
  d.set("machines", active);
  d.set("inactive_machines", inactive);
  d.set("has_inactive", !inactive.is_empty_list());
  d.set("new_name", newName);
  Pages::putErrors(d, errors);
  app.pages().render(c, status, "machines", d, "Machines");
}

void renderMachine(App& app, Ctx& c, int status, const Machine& m, const FieldErrors& errors, const std::string& name) {
  Data d;
  d.set("id", std::to_string(m.id));
  d.set("name", m.name);
  d.set("form_name", name);
  d.set("active", m.active);
  Pages::putErrors(d, errors);
  app.pages().render(c, status, "machine", d, "Machine: " + m.name);
}

// One page for both questions: what happens, and a form that POSTs the action with the CSRF token.
void renderConfirm(App& app, Ctx& c, const std::string& heading, const std::string& text, const std::string& action,
                   const std::string& method, const std::string& button) {
  Data d;
  d.set("heading", heading);
  d.set("text", text);
  d.set("action", action);
  if (!method.empty()) d.set("method", method);
  d.set("button", button);
  app.pages().render(c, 200, "machine_confirm", d, heading);
}

bool nameTaken(App& app, int64_t userId, const std::string& name, int64_t exceptId) {
  return !app.host()
              .query("SELECT 1 FROM machines WHERE user_id = $1 AND lower(name) = lower($2) AND id <> $3",
                     {userId, name, exceptId})
              .empty();
}

void setActive(App& app, Ctx& c, bool active) {
  auto m = ownMachine(app, c);
  if (!m) return;
  app.users().commitMachineChange([&](Tx& tx) {
    tx.query("UPDATE machines SET active = $1, updated_at = $2 WHERE id = $3", {active ? 1 : 0, nowMs(), m->id});
    return Users::MachineChange{m->id, c.user->id, m->name, active, false};
  });
  app.pages().redirectWithFlash(c, "/my/machines", "success",
                                "Machine " + m->name + (active ? " activated." : " deactivated."));
}

}  // namespace

std::string newApiSalt() {
  static constexpr char kAlphabet[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string salt = "$2b$12$";
  for (int i = 0; i < 22; ++i) salt += kAlphabet[randombytes_uniform(64)];
  return salt;
}

std::string machineToken(App& app, const std::string& username, int64_t machineId, const std::string& salt) {
  return common::generateToken(app.host().config("host.secret_key_base", ""), salt, username, machineId);
}

void deleteMachineData(App& app, int64_t userId, int64_t machineId, const std::string& name) {
  app.users().commitMachineChange([&](Tx& tx) {
    tx.query("DELETE FROM machines WHERE id = $1 AND user_id = $2", {machineId, userId});
    return Users::MachineChange{machineId, userId, name, false, true};
  });
  app.users().deleteIngestData("delete_machine_data", "{\"user_id\":" + std::to_string(userId) +
                                                          ",\"machine_id\":" + std::to_string(machineId) + "}");
}

void machinesPage(App& app, Ctx& c) { renderList(app, c, 200, {}, ""); }

void createMachine(App& app, Ctx& c) {
  auto name = c.field("machine[name]");
  FieldErrors errors;
  validateMachineName(name, errors);
  if (!errors.count("name") && nameTaken(app, c.user->id, *name, 0)) errors["name"].push_back(kTaken);
  if (!errors.empty()) {
    c.flashes.push_back({"error", "Error adding machine."});
    return renderList(app, c, 400, errors, name.value_or(""));
  }
  int64_t now = nowMs();
  int64_t id = 0;
  try {
    app.users().commitMachineChange([&](Tx& tx) {
      auto r = tx.query(
          "INSERT INTO machines (user_id, name, active, api_salt, inserted_at, updated_at) VALUES ($1, $2, 1, $3, $4, "
          "$4) "
          "RETURNING id",
          {c.user->id, *name, newApiSalt(), now});
      id = r[0].i64(0);
      return Users::MachineChange{id, c.user->id, *name, true, false};
    });
  } catch (const Error&) {
    if (!nameTaken(app, c.user->id, *name, 0)) throw;
    errors["name"].push_back(kTaken);
    c.flashes.push_back({"error", "Error adding machine."});
    return renderList(app, c, 400, errors, *name);
  }
  app.pages().redirectWithFlash(c, "/my/machines", "success", "Machine added successfully.");
}

void machinePage(App& app, Ctx& c) {
  auto m = ownMachine(app, c);
  if (m) renderMachine(app, c, 200, *m, {}, m->name);
}

void changeMachine(App& app, Ctx& c) {
  if (c.method != "PUT" && c.method != "DELETE") {
    c.resp.header("Allow", "GET, PUT, DELETE");
    return app.pages().errorPage(c, 405, "Method not allowed", "This address accepts GET, PUT and DELETE.");
  }
  auto m = ownMachine(app, c);
  if (!m) return;
  if (c.method == "DELETE") {
    deleteMachineData(app, c.user->id, m->id, m->name);
    return app.pages().redirectWithFlash(c, "/my/machines", "success",
                                         "The machine has been deactivated and will be deleted in a few moments.");
  }
  auto name = c.field("machine[name]");
  FieldErrors errors;
  validateMachineName(name, errors);
  if (!errors.count("name") && nameTaken(app, c.user->id, *name, m->id)) errors["name"].push_back(kTaken);
  if (!errors.empty()) {
    c.flashes.push_back({"error", "Error editing machine."});
    return renderMachine(app, c, 400, *m, errors, name.value_or(""));
  }
  app.users().commitMachineChange([&](Tx& tx) {
    tx.query("UPDATE machines SET name = $1, updated_at = $2 WHERE id = $3", {*name, nowMs(), m->id});
    return Users::MachineChange{m->id, c.user->id, *name, m->active, false};
  });
  app.pages().redirectWithFlash(c, "/my/machines/" + std::to_string(m->id), "success", "Machine edited successfully.");
}

void activateMachine(App& app, Ctx& c) { setActive(app, c, true); }
void deactivateMachine(App& app, Ctx& c) { setActive(app, c, false); }

void regenerateMachineKey(App& app, Ctx& c) {
  auto m = ownMachine(app, c);
  if (!m) return;
  // The new salt and the event in one transaction; ingest's cached credentials are dropped
  // before the answer, and every host's pulse transaction re-checks the salt.
  app.users().commitMachineChange([&](Tx& tx) {
    tx.query("UPDATE machines SET api_salt = $1, updated_at = $2 WHERE id = $3", {newApiSalt(), nowMs(), m->id});
    return Users::MachineChange{m->id, c.user->id, m->name, m->active, false};
  });
  app.pages().redirectWithFlash(c, "/my/machines", "success", "API key regenerated for machine " + m->name + ".");
}

void confirmMachineDelete(App& app, Ctx& c) {
  auto m = ownMachine(app, c);
  if (!m) return;
  renderConfirm(app, c, "Delete the machine " + m->name + "?",
                "The machine, its API key and all the XP sent with it are removed. This cannot be undone.",
                "/my/machines/" + std::to_string(m->id), "DELETE", "Delete machine");
}

void confirmKeyRegeneration(App& app, Ctx& c) {
  auto m = ownMachine(app, c);
  if (!m) return;
  renderConfirm(app, c, "Regenerate the API key of " + m->name + "?",
                "The current key stops working at once: paste the new key into your editor's plugin afterwards.",
                "/my/machines/" + std::to_string(m->id) + "/key", "", "Regenerate API key");
}

}  // namespace codestats::web
