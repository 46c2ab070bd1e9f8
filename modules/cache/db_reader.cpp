#include "db_reader.hpp"

#include <algorithm>

#include "common/ascii.hpp"

namespace codestats::cache {
namespace {

// kind, user_id, a, b, c, d, e, f
constexpr const char* kFromAggregates =
    "SELECT 0, user_id, language_id, xp, 0, 0, 0, 0 FROM user_language_xps WHERE user_id BETWEEN $1 AND $2 "
    "UNION ALL SELECT 1, user_id, machine_id, xp, 0, 0, 0, 0 FROM user_machine_xps WHERE user_id BETWEEN $1 AND $2 "
    "UNION ALL SELECT 2, user_id, day, xp, 0, 0, 0, 0 FROM user_day_xps WHERE user_id BETWEEN $1 AND $2 "
    "UNION ALL SELECT 3, user_id, hour, xp, 0, 0, 0, 0 FROM user_hour_xps WHERE user_id BETWEEN $1 AND $2 "
    "UNION ALL SELECT 4, user_id, xp, COALESCE(last_pulse_at, 0), 0, 0, 0, 0 FROM user_totals WHERE user_id BETWEEN $1 "
    "AND $2 ";

constexpr const char* kFromPulses =
    "SELECT 0, p.user_id, x.language_id, SUM(x.amount), 0, 0, 0, 0 FROM pulses p JOIN xps x ON x.pulse_id = p.id "
    "WHERE p.user_id BETWEEN $1 AND $2 GROUP BY p.user_id, x.language_id "
    "UNION ALL SELECT 1, p.user_id, p.machine_id, SUM(x.amount), 0, 0, 0, 0 FROM pulses p JOIN xps x ON x.pulse_id = "
    "p.id "
    "WHERE p.user_id BETWEEN $1 AND $2 GROUP BY p.user_id, p.machine_id "
    "UNION ALL SELECT 2, p.user_id, p.local_day, SUM(x.amount), 0, 0, 0, 0 FROM pulses p JOIN xps x ON x.pulse_id = "
    "p.id "
    "WHERE p.user_id BETWEEN $1 AND $2 GROUP BY p.user_id, p.local_day "
    "UNION ALL SELECT 3, p.user_id, p.local_hour, SUM(x.amount), 0, 0, 0, 0 FROM pulses p JOIN xps x ON x.pulse_id = "
    "p.id "
    "WHERE p.user_id BETWEEN $1 AND $2 GROUP BY p.user_id, p.local_hour "
    "UNION ALL SELECT 4, p.user_id, SUM(x.amount), MAX(p.sent_at), 0, 0, 0, 0 FROM pulses p JOIN xps x ON x.pulse_id = "
    "p.id "
    "WHERE p.user_id BETWEEN $1 AND $2 GROUP BY p.user_id ";

constexpr const char* kRecentRows =
    "UNION ALL SELECT 5, p.user_id, p.id, p.sent_at, p.machine_id, p.local_day, x.language_id, x.amount "
    "FROM pulses p JOIN xps x ON x.pulse_id = p.id WHERE p.user_id BETWEEN $1 AND $2 AND p.sent_at >= $3";

constexpr const char* kPulseCounts =
    " UNION ALL SELECT 6, user_id, COUNT(*), 0, 0, 0, 0, 0 FROM pulses WHERE user_id BETWEEN $1 AND $2 GROUP BY "
    "user_id";

// The event log's head, read by the same statement: the data above holds every event up to
// it and none after (the log is appended in its producers' transactions, docs/events.md).
constexpr const char* kLogPosition =
    " UNION ALL SELECT 7, 0, COALESCE(MAX(seq), 0), 0, 0, 0, 0, 0 FROM codestats_events";

// A directory row; the avatar flag as 0/1 on both backends (PostgreSQL's IS NOT NULL is a boolean).
constexpr const char* kUserColumns =
    "id, username, private_profile, inserted_at, CASE WHEN gravatar_email IS NULL THEN 0 ELSE 1 END";

UserInfo userInfo(const Row& r) {
  return UserInfo{r.i64(0), std::string(r.text(1)), r.i64(2) != 0, r.i64(3), r.i64(4) != 0};
}

}  // namespace

UserBatch readUsers(Host& host, int64_t from, int64_t to, int64_t nowMs, Source source, bool countPulses) {
  UserBatch b;
  // Directory rows first: a user created after this read is simply not in the batch.
  Rows users = host.query("SELECT " + std::string(kUserColumns) + " FROM users WHERE id BETWEEN $1 AND $2", {from, to});
  for (size_t i = 0; i < users.size(); ++i) {
    UserInfo u = userInfo(users[i]);
    b.users[u.id].userId = u.id;
    b.info.emplace(u.id, std::move(u));
  }
  if (b.users.empty()) return b;
  std::string sql = std::string(source == Source::Aggregates ? kFromAggregates : kFromPulses) + kRecentRows;
  if (countPulses) sql += kPulseCounts;
  sql += kLogPosition;
  Rows rows = host.query(sql, {from, to, nowMs - kKeepRecentMs});
  for (size_t i = 0; i < rows.size(); ++i) {
    Row r = rows[i];
    if (r.i64(0) == 7) {
      b.logPosition = static_cast<uint64_t>(r.i64(2));
      continue;
    }
    auto it = b.users.find(r.i64(1));
    if (it == b.users.end()) continue;  // pulses of a user created after the directory read
    UserAggregates& a = it->second;
    switch (r.i64(0)) {
      case 0: addTo(a.languages, r.i64(2), r.i64(3)); break;
      case 1: addTo(a.machines, r.i64(2), r.i64(3)); break;
      case 2: a.days.emplace_back(static_cast<int32_t>(r.i64(2)), r.i64(3)); break;
      case 3: {
        int64_t h = r.i64(2);
        if (h >= 0 && h < 24) a.hours[static_cast<size_t>(h)] += r.i64(3);
        break;
      }
      case 4:
        a.total = r.i64(2);
        a.lastPulseAt = r.i64(3);
        break;
      case 5:
        a.recent.push_back(RecentXp{r.i64(2), r.i64(3), static_cast<int32_t>(r.i64(4)), static_cast<int32_t>(r.i64(6)),
                                    static_cast<int32_t>(r.i64(5)), static_cast<int32_t>(r.i64(7))});
        break;
      case 6: b.pulses += r.i64(2); break;
    }
  }
  for (auto& [id, a] : b.users) {
    std::sort(a.days.begin(), a.days.end());
    std::sort(a.recent.begin(), a.recent.end(),
              [](const RecentXp& x, const RecentXp& y) { return x.sentAt < y.sentAt; });
    // Kept for hours or days: no growth slack.
    a.days.shrink_to_fit();
    a.recent.shrink_to_fit();
    a.languages.shrink_to_fit();
    a.machines.shrink_to_fit();
  }
  Rows machines =
      host.query("SELECT id, user_id, name, active FROM machines WHERE user_id BETWEEN $1 AND $2", {from, to});
  for (size_t i = 0; i < machines.size(); ++i) {
    auto it = b.users.find(machines[i].i64(1));
    if (it == b.users.end()) continue;
    it->second.machineInfo.push_back(
        MachineInfo{machines[i].i64(0), std::string(machines[i].text(2)), machines[i].i64(3) != 0});
  }
  return b;
}

std::vector<UserInfo> readDirectory(Host& host) {
  Rows r = host.query("SELECT " + std::string(kUserColumns) + " FROM users");
  std::vector<UserInfo> out;
  out.reserve(r.size());
  for (size_t i = 0; i < r.size(); ++i) out.push_back(userInfo(r[i]));
  return out;
}

std::optional<UserInfo> readUserByName(Host& host, const std::string& username, bool caseInsensitive) {
  Rows r = caseInsensitive
               ? host.query("SELECT " + std::string(kUserColumns) +
                                " FROM users WHERE "
                                "lower(username) = lower($1)",
                            {username})
               : host.query("SELECT " + std::string(kUserColumns) + " FROM users WHERE username = $1", {username});
  if (r.empty()) return std::nullopt;
  return userInfo(r[0]);
}

std::optional<UserInfo> readUserById(Host& host, int64_t id) {
  Rows r = host.query("SELECT " + std::string(kUserColumns) + " FROM users WHERE id = $1", {id});
  if (r.empty()) return std::nullopt;
  return userInfo(r[0]);
}

void readLanguages(Host& host, Directory& dir) {
  Rows r = host.query("SELECT id, name FROM languages");
  for (size_t i = 0; i < r.size(); ++i) dir.putLanguage(r[i].i64(0), std::string(r[i].text(1)));
}

std::optional<int64_t> readLanguageId(Host& host, Directory& dir, const std::string& name) {
  Rows r = host.query("SELECT id, name FROM languages WHERE name_lower = $1", {common::lowerAscii(name)});
  if (r.empty()) return std::nullopt;
  dir.putLanguage(r[0].i64(0), std::string(r[0].text(1)));
  return r[0].i64(0);
}

FrontpageSnapshot readFrontpage(Host& host, int64_t nowMs) {
  // One statement: the total and the window come from the same snapshot. Pulses are at most
  // 7 days old when accepted (spec §3.5), so the recently inserted ones are found through the
  // sent_at index.
  Rows r = host.query(
      "SELECT 0, CAST(COALESCE(SUM(xp), 0) AS BIGINT), 0, 0, 0 FROM user_totals "
      "UNION ALL SELECT 1, p.id, p.sent_at, x.language_id, x.amount FROM pulses p JOIN xps x ON x.pulse_id = p.id "
      "WHERE p.sent_at > $1 "
      "UNION ALL SELECT 2, p.id, 0, 0, 0 FROM pulses p WHERE p.sent_at > $2 AND p.inserted_at > $3 "
      "UNION ALL SELECT 3, COALESCE(MAX(seq), 0), 0, 0, 0 FROM codestats_events",
      {nowMs - kFrontWindowMs, nowMs - 7 * kMsPerDay - 2 * kDedupWindowMs, nowMs - kDedupWindowMs});
  FrontpageSnapshot s;
  for (size_t i = 0; i < r.size(); ++i) {
    switch (r[i].i64(0)) {
      case 0: s.total = r[i].i64(1); break;
      case 1: s.window.push_back(WindowXp{r[i].i64(1), r[i].i64(2), r[i].i64(3), r[i].i64(4)}); break;
      case 2: s.recentIds.push_back(r[i].i64(1)); break;
      case 3: s.logPosition = static_cast<uint64_t>(r[i].i64(1)); break;
    }
  }
  return s;
}

}  // namespace codestats::cache
