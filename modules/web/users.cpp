#include "users.hpp"

#include <codestats/json.hpp>

namespace codestats::web {
namespace {

constexpr const char* kUserColumns =
    "SELECT id, username, email, gravatar_email, password_hash, private_profile, terms_version, inserted_at FROM "
    "users ";

User userFrom(const Row& r) {
  User u;
  u.id = r.i64(0);
  u.username = std::string(r.text(1));
  u.email = r.optText(2);
  u.gravatarEmail = r.optText(3);
  u.passwordHash = r.optText(4);
  u.privateProfile = r.i64(5) != 0;
  u.termsVersion = std::string(r.text(6));
  u.insertedAt = r.i64(7);
  return u;
}

}  // namespace

std::optional<User> Users::byId(int64_t id) {
  auto r = host_.query(std::string(kUserColumns) + "WHERE id = $1", {id});
  if (r.empty()) return std::nullopt;
  return userFrom(r[0]);
}

std::optional<User> Users::byNameCaseless(const std::string& name) {
  auto r = host_.query(std::string(kUserColumns) + "WHERE lower(username) = lower($1)", {name});
  if (r.empty()) return std::nullopt;
  return userFrom(r[0]);
}

std::optional<User> Users::byNameExact(const std::string& name) {
  auto r = host_.query(std::string(kUserColumns) + "WHERE username = $1", {name});
  if (r.empty()) return std::nullopt;
  return userFrom(r[0]);
}

void Users::publishUserChanged(const User& u) {
  host_.publish("user.changed", "{\"user_id\":" + std::to_string(u.id) + ",\"username\":" + jsonString(u.username) +
                                    ",\"private\":" + (u.privateProfile ? "true" : "false") + "}");
}

// Events are delivered asynchronously: without this call a pulse sent right after the
// answer could still pass with credentials ingest cached before the change.
void Users::forgetIngestCredentials() {
  try {
    host_.call("ingest", 1, "forget_credentials", "{}");  // nullopt: ingest is not loaded
  } catch (const Error& e) {
    host_.warn(std::string("ingest.v1 forget_credentials failed: ") + e.what());
  }
}

void Users::commitMachineChange(const std::function<MachineChange(Tx&)>& write) {
  host_.transaction([&](Tx& tx) {
    MachineChange m = write(tx);
    tx.publish("machine.changed", "{\"machine_id\":" + std::to_string(m.machineId) +
                                      ",\"user_id\":" + std::to_string(m.userId) + ",\"name\":" + jsonString(m.name) +
                                      ",\"active\":" + (m.active ? "true" : "false") +
                                      ",\"deleted\":" + (m.deleted ? "true" : "false") + "}");
  });
  forgetIngestCredentials();
}

void Users::deleteUser(const User& u) {
  host_.transaction([&](Tx& tx) {
    for (const char* t : {"sessions", "remember_tokens", "password_resets", "machines"})
      tx.query(std::string("DELETE FROM ") + t + " WHERE user_id = $1", {u.id});
    tx.query("DELETE FROM users WHERE id = $1", {u.id});
    tx.publish("user.deleted",
               "{\"user_id\":" + std::to_string(u.id) + ",\"username\":" + jsonString(u.username) + "}");
  });
  forgetIngestCredentials();
  // The account's pulses and aggregates are ingest's: it deletes them (and once more on the
  // user.deleted event, for a pulse that was already past authentication).
  deleteIngestData("delete_user_data", "{\"user_id\":" + std::to_string(u.id) + "}");
}

void Users::deleteIngestData(const std::string& method, const std::string& request) {
  try {
    if (!host_.call("ingest", 1, method, request))
      host_.warn("ingest is not loaded: its data of a deleted account or machine stays until `ingest.purge-orphans`");
  } catch (const Error& e) {
    host_.warn("ingest.v1 " + method + " failed (`ingest.purge-orphans` removes what is left): " + e.what());
  }
}

bool Users::signupsEnabled() {
  auto r = host_.query("SELECT value FROM web_settings WHERE name = 'signups'");
  if (!r.empty()) return r[0].text(0) == "open";
  return host_.config("signups", "open") == "open";
}

void Users::setSignupsEnabled(bool on) {
  host_.query(
      "INSERT INTO web_settings (name, value) VALUES ('signups', $1) ON CONFLICT (name) DO UPDATE SET value = "
      "excluded.value",
      {on ? "open" : "closed"});
}

}  // namespace codestats::web
