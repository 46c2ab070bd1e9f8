// One user's profile statistics as the pages and APIs need them (spec §4, §7.10), whether
// they came from cache.v1 or from ingest's aggregate tables. No SDK.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace codestats::web {

struct RecentXp {
  std::string name;
  int64_t xp = 0;     // all-time total
  int64_t newXp = 0;  // pulses with sent_at >= now - 12 h
};

struct DayLanguage {
  int32_t day = 0;  // local date as YYYYMMDD
  std::string language;
  int64_t xp = 0;
};

struct ProfileData {
  int64_t userId = 0;
  std::string username;  // as stored
  bool isPrivate = false;
  bool avatar = false;  // gravatar_email is set: the page shows /users/<name>/avatar
  int64_t registeredMs = 0;
  int64_t totalXp = 0;  // sum of the language totals (inactive machines included)
  int64_t newXp = 0;    // sum of the languages' recent XP
  std::vector<RecentXp> languages;  // largest first
  std::vector<RecentXp> machines;   // active machines only, largest first
  std::vector<std::pair<int32_t, int64_t>> dates;  // local YYYYMMDD -> XP, ascending
  std::vector<std::pair<int, int64_t>> hours;      // local hour -> XP, hours with XP only
  // The last 14 days by local date and language, when the source has them.
  std::optional<int32_t> dayLanguageSince;
  std::vector<DayLanguage> dayLanguages;
  // cache.v1's stamp of this answer (docs/cache.md); empty when read from the DB.
  std::string stamp;
};

// 20260131 -> "2026-01-31"; "2026-01-31" -> 20260131 (nullopt when malformed).
std::string isoDate(int32_t yyyymmdd);
std::optional<int32_t> parseIsoDate(const std::string& s);

// Sorts languages and machines by XP descending (name ascending on ties) and dates ascending.
void normalise(ProfileData& p);

}  // namespace codestats::web
