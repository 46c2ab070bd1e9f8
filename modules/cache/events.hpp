// The event payloads the cache reads (docs/events.md), parsed leniently: unknown fields are
// ignored, a payload without the fields the cache needs is rejected. Pure, no SDK.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::cache {

struct PulseCreated {
  int64_t pulseId = 0, userId = 0, machineId = 0;
  std::string username, machineName;
  int64_t sentAt = 0, sentAtLocal = 0;
  struct Xp {
    std::string language;  // effective (alias-resolved) name
    int64_t amount = 0;
  };
  std::vector<Xp> xps;
};
std::optional<PulseCreated> parsePulseCreated(std::string_view json);

// user.changed / user.deleted: {user_id, username?, private?}
struct UserEvent {
  int64_t userId = 0;
};
std::optional<UserEvent> parseUserEvent(std::string_view json);

// machine.changed: {machine_id, user_id, ...}
struct MachineEvent {
  int64_t machineId = 0, userId = 0;
};
std::optional<MachineEvent> parseMachineEvent(std::string_view json);

// language.aliased: {language, alias_of}; returns language
std::optional<std::string> parseAliasedLanguage(std::string_view json);

// cache.v1 profile request: {username, viewer?, case_insensitive?}
struct ProfileRequest {
  std::string username;
  std::optional<std::string> viewer;
  bool caseInsensitive = false;
  std::optional<std::string> ifStamp;  // answer {"unchanged":true,…} when the stamp still holds
};
// Throws std::invalid_argument with a message for the caller.
ProfileRequest parseProfileRequest(std::string_view json);

}  // namespace codestats::cache
