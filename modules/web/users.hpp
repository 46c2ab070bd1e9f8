// User lookups and the account changes other modules hear about: the user.* and
// machine.changed events, ingest.v1's credential and data calls, account deletion, and the
// signup switch.
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "context.hpp"

namespace codestats::web {

class Users {
 public:
  explicit Users(Host& host) : host_(host) {}

  std::optional<User> byId(int64_t id);
  std::optional<User> byNameCaseless(const std::string& name);
  std::optional<User> byNameExact(const std::string& name);

  // user.changed, in a transaction of its own after the change (a lost one costs the cache
  // a re-read of the user at its next refresh, docs/events.md).
  void publishUserChanged(const User& u);
  // What machine.changed reports.
  struct MachineChange {
    int64_t machineId = 0, userId = 0;
    std::string name;
    bool active = true, deleted = false;
  };
  // Runs `write` and appends its machine.changed event in one transaction, then drops
  // ingest's cached credentials (before the change is answered).
  void commitMachineChange(const std::function<MachineChange(Tx&)>& write);
  // ingest.v1 forget_credentials: machine keys change before the change is answered.
  void forgetIngestCredentials();
  // Removes the user and everything that belongs to it (sessions, machines; pulses, xps
  // and aggregates through ingest).
  void deleteUser(const User& u);
  // ingest.v1 delete_user_data / delete_machine_data; a failure is logged, not thrown: the
  // account or machine is already gone, and ingest repeats the deletion on the event.
  void deleteIngestData(const std::string& method, const std::string& request);

  bool signupsEnabled();
  void setSignupsEnabled(bool on);

 private:
  Host& host_;
};

}  // namespace codestats::web
