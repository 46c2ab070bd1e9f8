#include "profile_store.hpp"

#include <codestats/json.hpp>

#include <ctime>
#include <map>

#include "db_util.hpp"
#include "common/profile_codec.hpp"

namespace codestats::web {
namespace {

// Milliseconds of 00:00 UTC of a YYYYMMDD date.
int64_t dayStartMs(int32_t d) {
  std::tm tm{};
  tm.tm_year = d / 10000 - 1900;
  tm.tm_mon = (d / 100) % 100 - 1;
  tm.tm_mday = d % 100;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

std::optional<ProfileData> ProfileStore::load(const std::string& username, bool caseInsensitive,
                                              const std::optional<std::string>& viewer, int64_t nowMs) {
  return loadIfChanged(username, caseInsensitive, viewer, nowMs, nullptr).data;
}

ProfileAnswer ProfileStore::loadIfChanged(const std::string& username, bool caseInsensitive,
                                          const std::optional<std::string>& viewer, int64_t nowMs,
                                          const std::string* ifStamp) {
  bool served = false;
  auto cached = fromCache(username, caseInsensitive, viewer, ifStamp, served);
  if (served) return cached;
  return {fromDb(username, caseInsensitive, viewer, nowMs)};
}

ProfileAnswer ProfileStore::fromCache(const std::string& username, bool caseInsensitive,
                                      const std::optional<std::string>& viewer, const std::string* ifStamp,
                                      bool& served) {
  std::string req = "{\"username\":" + jsonString(username);
  if (viewer) req += ",\"viewer\":" + jsonString(*viewer);
  if (caseInsensitive) req += ",\"case_insensitive\":true";
  if (ifStamp) req += ",\"if_stamp\":" + jsonString(*ifStamp);
  req += '}';
  try {
    auto answer = host_.call("cache", 1, "profile", req);
    if (!answer) return {};  // no cache module: the caller reads the DB
    served = true;
    // The short answer has exactly this prefix (docs/cache.md); anything else is a profile.
    if (ifStamp && answer->rfind("{\"unchanged\":true", 0) == 0) return {std::nullopt, true};
    ProfileData p = common::decodeProfile(*answer);
    normalise(p);
    return {std::move(p)};
  } catch (const Error& e) {
    if (e.code() != CS_E_NOT_FOUND) throw;
    served = true;
    return {};
  }
}

bool ProfileStore::haveIngestTables() {
  // Positive answers only are remembered: ingest may be loaded after web.
  if (ingestTables_) return true;
  ingestTables_ = tableExists(host_, "user_totals");
  return ingestTables_;
}

std::optional<ProfileData> ProfileStore::fromDb(const std::string& username, bool caseInsensitive,
                                                const std::optional<std::string>& viewer, int64_t nowMs) {
  // The avatar flag as 0/1 on both backends (PostgreSQL's IS NOT NULL is a boolean).
  auto u = host_.query(caseInsensitive ? "SELECT id, username, private_profile, inserted_at, CASE WHEN gravatar_email "
                                         "IS NULL THEN 0 ELSE 1 END FROM users WHERE lower(username) = lower($1)"
                                       : "SELECT id, username, private_profile, inserted_at, CASE WHEN gravatar_email "
                                         "IS NULL THEN 0 ELSE 1 END FROM users WHERE username = $1",
                       {username});
  if (u.empty()) return std::nullopt;
  ProfileData p;
  p.userId = u[0].i64(0);
  p.username = std::string(u[0].text(1));
  p.isPrivate = u[0].i64(2) != 0;
  p.registeredMs = u[0].i64(3);
  p.avatar = u[0].i64(4) != 0;
  if (p.isPrivate && viewer != p.username) return std::nullopt;
  if (!haveIngestTables()) return p;

  int64_t since = nowMs - kRecentMs;
  std::map<std::string, int64_t> recentLanguages, recentMachines;
  for (const auto& r : languagesSince(p.userId, since)) recentLanguages[r.name] = r.xp;
  for (const auto& r : machinesSince(p.userId, since)) recentMachines[r.name] = r.xp;

  auto langs = host_.query(
      "SELECT l.name, x.xp FROM user_language_xps x JOIN languages l ON l.id = x.language_id WHERE x.user_id = $1 "
      "AND x.xp <> 0",
      {p.userId});
  for (size_t i = 0; i < langs.size(); ++i) {
    RecentXp x{std::string(langs[i].text(0)), langs[i].i64(1), 0};
    if (auto it = recentLanguages.find(x.name); it != recentLanguages.end()) x.newXp = it->second;
    p.totalXp += x.xp;
    p.newXp += x.newXp;
    p.languages.push_back(std::move(x));
  }
  auto machines = host_.query(
      "SELECT m.name, a.xp FROM user_machine_xps a JOIN machines m ON m.id = a.machine_id WHERE a.user_id = $1 AND "
      "m.user_id = $1 AND m.active <> 0",
      {p.userId});
  for (size_t i = 0; i < machines.size(); ++i) {
    RecentXp x{std::string(machines[i].text(0)), machines[i].i64(1), 0};
    if (auto it = recentMachines.find(x.name); it != recentMachines.end()) x.newXp = it->second;
    p.machines.push_back(std::move(x));
  }
  auto days = host_.query("SELECT day, xp FROM user_day_xps WHERE user_id = $1 AND xp <> 0", {p.userId});
  for (size_t i = 0; i < days.size(); ++i) p.dates.emplace_back(static_cast<int32_t>(days[i].i64(0)), days[i].i64(1));
  auto hours = host_.query("SELECT hour, xp FROM user_hour_xps WHERE user_id = $1 AND xp <> 0", {p.userId});
  for (size_t i = 0; i < hours.size(); ++i) p.hours.emplace_back(static_cast<int>(hours[i].i64(0)), hours[i].i64(1));
  normalise(p);
  return p;
}

std::vector<RecentXp> ProfileStore::languagesSince(int64_t userId, int64_t sinceMs) {
  std::vector<RecentXp> out;
  if (!haveIngestTables()) return out;
  auto r = host_.query(
      "SELECT l.name, SUM(x.amount) FROM pulses p JOIN xps x ON x.pulse_id = p.id JOIN languages l ON l.id = "
      "x.language_id WHERE p.user_id = $1 AND p.sent_at >= $2 GROUP BY l.name",
      {userId, sinceMs});
  for (size_t i = 0; i < r.size(); ++i) out.push_back({std::string(r[i].text(0)), r[i].i64(1), 0});
  return out;
}

std::vector<RecentXp> ProfileStore::machinesSince(int64_t userId, int64_t sinceMs) {
  std::vector<RecentXp> out;
  if (!haveIngestTables()) return out;
  auto r = host_.query(
      "SELECT m.name, SUM(x.amount) FROM pulses p JOIN xps x ON x.pulse_id = p.id JOIN machines m ON m.id = "
      "p.machine_id WHERE p.user_id = $1 AND p.sent_at >= $2 AND m.active <> 0 GROUP BY m.id, m.name",
      {userId, sinceMs});
  for (size_t i = 0; i < r.size(); ++i) out.push_back({std::string(r[i].text(0)), r[i].i64(1), 0});
  return out;
}

std::vector<DayLanguage> ProfileStore::dayLanguagesSince(int64_t userId, int32_t sinceDay) {
  std::vector<DayLanguage> out;
  if (!haveIngestTables()) return out;
  // Local time is at most 14 h ahead of UTC: pulses of local dates >= since were sent at
  // or after since 00:00 UTC - 14 h, which bounds the index range scanned.
  auto r = host_.query(
      "SELECT p.local_day, l.name, SUM(x.amount) FROM pulses p JOIN xps x ON x.pulse_id = p.id JOIN languages l ON "
      "l.id = x.language_id WHERE p.user_id = $1 AND p.sent_at >= $2 AND p.local_day >= $3 GROUP BY p.local_day, "
      "l.name",
      {userId, dayStartMs(sinceDay) - int64_t{14} * 3600 * 1000, static_cast<int64_t>(sinceDay)});
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back({static_cast<int32_t>(r[i].i64(0)), std::string(r[i].text(1)), r[i].i64(2)});
  return out;
}

}  // namespace codestats::web
