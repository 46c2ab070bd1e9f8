// What the GraphQL executor needs from the data (spec codestats.md §9.3): implemented by the
// web module over cache.v1 or the DB aggregates, and in memory by the tests.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "scalars.hpp"

namespace codestats::graphql {

struct ProfileUser {
  int64_t id = 0;
  std::string username;  // as stored
  bool isPrivate = false;
  int64_t registeredMs = 0;  // users.inserted_at, Unix milliseconds UTC
};

struct NamedXp {
  std::string name;
  int64_t xp = 0;
};

struct DayXp {
  Yyyymmdd day = 0;  // local date of the pulses
  int64_t xp = 0;
};

struct DayLanguageXp {
  Yyyymmdd day = 0;      // local date of the pulses
  std::string language;  // effective (alias-resolved) name
  int64_t xp = 0;
};

struct HourXp {
  int hour = 0;  // local hour 0-23
  int64_t xp = 0;
};

// A data failure the client may see in the "errors" list (say, a timeout). Any other
// exception is reported to the client as an internal error and its text kept for the log.
class ProfileSourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every call is about one user found by findUser() in the same request. Lists need no order.
class ProfileSource {
 public:
  virtual ~ProfileSource() = default;

  // Exact, case-sensitive lookup (§9.3); privacy is decided by the executor.
  virtual std::optional<ProfileUser> findUser(std::string_view username) = 0;
  // Cached totals per effective language (all of them, inactive machines included).
  virtual std::vector<NamedXp> languages(const ProfileUser& user) = 0;
  // XP of pulses with sent_at >= sinceMs, per effective language (live).
  virtual std::vector<NamedXp> languagesSince(const ProfileUser& user, int64_t sinceMs) = 0;
  // Cached totals per machine that exists and is active.
  virtual std::vector<NamedXp> machines(const ProfileUser& user) = 0;
  // XP of pulses with sent_at >= sinceMs, per active machine (live).
  virtual std::vector<NamedXp> machinesSince(const ProfileUser& user, int64_t sinceMs) = 0;
  // Cached XP per local date.
  virtual std::vector<DayXp> dates(const ProfileUser& user) = 0;
  // XP of pulses whose local date is >= sinceDay, per local date and effective language.
  virtual std::vector<DayLanguageXp> dayLanguageXps(const ProfileUser& user, Yyyymmdd sinceDay) = 0;
  // Cached XP per local hour of day (only hours with XP).
  virtual std::vector<HourXp> hours(const ProfileUser& user) = 0;
  // Sum of the cached language totals; override when the total is at hand.
  virtual int64_t totalXp(const ProfileUser& user) {
    int64_t total = 0;
    for (const NamedXp& l : languages(user)) total += l.xp;
    return total;
  }
};

}  // namespace codestats::graphql
