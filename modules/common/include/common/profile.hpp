// One user's profile statistics (spec §4, §7.10): what cache.v1's `profile` answer carries
// (common/profile_codec.hpp) and what web renders, whether the figures came from the cache
// or from ingest's tables. Plain data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace codestats::common {

struct NamedXp {
  std::string name;
  int64_t xp = 0;     // all-time total
  int64_t newXp = 0;  // pulses with sent_at >= now - 12 h
};

struct DayLanguageXp {
  int32_t day = 0;  // local date as YYYYMMDD
  std::string language;
  int64_t xp = 0;
};

struct Profile {
  int64_t userId = 0;
  std::string username;  // as stored
  bool isPrivate = false;
  bool avatar = false;  // gravatar_email is set: the page shows /users/<name>/avatar
  int64_t registeredMs = 0;
  int64_t totalXp = 0;  // sum of the language totals (inactive machines included)
  int64_t newXp = 0;    // sum of the languages' recent XP
  std::vector<NamedXp> languages;
  std::vector<NamedXp> machines;                   // active machines only
  std::vector<std::pair<int32_t, int64_t>> dates;  // local YYYYMMDD -> XP, ascending
  std::vector<std::pair<int, int64_t>> hours;      // local hour -> XP, hours with XP only
  int64_t lastPulseAtMs = 0;                       // 0: none (the cache knows it; the DB path does not read it)
  // The last 14 days by local date and language, when the source has them.
  std::optional<int32_t> dayLanguageSince;
  std::vector<DayLanguageXp> dayLanguages;
  // cache.v1's stamp of this answer (docs/cache.md); empty when read from the DB.
  std::string stamp;
};

}  // namespace codestats::common
