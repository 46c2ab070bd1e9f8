// Reads profile statistics: from the cache module's `cache.v1` service when it is loaded,
// else from ingest's aggregate tables (docs/web.md, "Where profile data comes from").
#pragma once

#include <codestats/sdk.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "profile_data.hpp"

namespace codestats::web {

inline constexpr int64_t kRecentMs = int64_t{12} * 3600 * 1000;  // "new" XP: the last 12 h (§5)

// load()'s answer when the caller holds a body rendered from an earlier answer.
struct ProfileAnswer {
  std::optional<ProfileData> data;  // nullopt and !unchanged: not found or private
  bool unchanged = false;           // the caller's stamp still holds: nothing was read
};

class ProfileStore {
 public:
  explicit ProfileStore(Host& host) : host_(host) {}

  // The profile of `username`. caseInsensitive: §4's lookup (the caller redirects when the
  // stored name differs). viewer: the session user's exact username; a private profile is
  // returned only to it. nullopt = not found or private.
  std::optional<ProfileData> load(const std::string& username, bool caseInsensitive,
                                  const std::optional<std::string>& viewer, int64_t nowMs);
  // The same, but with `ifStamp` (a ProfileData::stamp seen before) answers `unchanged`
  // without reading anything when that data still holds. Only cache.v1 stamps its answers.
  ProfileAnswer loadIfChanged(const std::string& username, bool caseInsensitive,
                              const std::optional<std::string>& viewer, int64_t nowMs, const std::string* ifStamp);

  // Live queries over pulses (GraphQL `since` arguments).
  std::vector<RecentXp> languagesSince(int64_t userId, int64_t sinceMs);
  std::vector<RecentXp> machinesSince(int64_t userId, int64_t sinceMs);
  std::vector<DayLanguage> dayLanguagesSince(int64_t userId, int32_t sinceDay);

 private:
  ProfileAnswer fromCache(const std::string& username, bool caseInsensitive, const std::optional<std::string>& viewer,
                          const std::string* ifStamp, bool& served);
  std::optional<ProfileData> fromDb(const std::string& username, bool caseInsensitive,
                                    const std::optional<std::string>& viewer, int64_t nowMs);
  bool haveIngestTables();

  Host& host_;
  std::atomic<bool> ingestTables_{false};
};

}  // namespace codestats::web
