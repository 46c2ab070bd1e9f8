#include "render.hpp"

#include <codestats/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

namespace codestats::cache {
namespace {

std::string languageName(const Directory& dir, int64_t id) {
  auto name = dir.languageName(id);
  return name ? *name : "language #" + std::to_string(id);
}

void xpsEntry(std::string& out, bool& first, const std::string& name, int64_t xps, int64_t newXps) {
  if (!first) out += ',';
  first = false;
  out += jsonString(name);
  out += ":{\"xps\":" + std::to_string(xps) + ",\"new_xps\":" + std::to_string(newXps) + "}";
}

}  // namespace

int64_t profileValidUntil(const UserAggregates& a, int64_t nowMs) {
  int64_t until = (nowMs / kMsPerDay + 1) * kMsPerDay;  // next UTC midnight (nowMs > 0)
  int64_t recentFrom = nowMs - kRecentWindowMs;
  for (const RecentXp& r : a.recent)
    if (r.sentAt >= recentFrom) until = std::min(until, r.sentAt + kRecentWindowMs + 1);
  return until;
}

std::string profileStamp(uint64_t nonce, uint64_t dirVersion, uint64_t dataVersion, int64_t validUntil) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%016llx-%llu-%llu-%lld", static_cast<unsigned long long>(nonce),
                static_cast<unsigned long long>(dirVersion), static_cast<unsigned long long>(dataVersion),
                static_cast<long long>(validUntil));
  return buf;
}

std::string renderProfile(const UserInfo& user, const UserAggregates& a, const Directory& dir, int64_t nowMs,
                          const std::string& stamp) {
  int64_t recentFrom = nowMs - kRecentWindowMs;
  std::map<int64_t, int64_t> newByLanguage, newByMachine;
  int32_t windowStart = dayFromEpochDay(epochDayOf(dayOf(nowMs)) - kDayLanguageDays);
  std::map<std::pair<int32_t, int64_t>, int64_t> dayLanguage;
  for (const RecentXp& r : a.recent) {
    if (r.sentAt >= recentFrom) {
      newByLanguage[r.languageId] += r.amount;
      newByMachine[r.machineId] += r.amount;
    }
    if (r.localDay >= windowStart) dayLanguage[{r.localDay, r.languageId}] += r.amount;
  }
  int64_t newXp = 0;
  for (const auto& [l, xp] : newByLanguage) newXp += xp;

  std::string out;
  out.reserve(256 + a.days.size() * 22 + a.languages.size() * 48);
  out += "{\"user\":" + jsonString(user.username);
  out += ",\"user_id\":" + std::to_string(user.id);
  out += ",\"private\":" + std::string(user.isPrivate ? "true" : "false");
  out += ",\"registered\":" + jsonString(isoInstant(user.insertedAt));
  out += ",\"avatar\":" + std::string(user.avatar ? "true" : "false");
  out += ",\"total_xp\":" + std::to_string(a.total);
  out += ",\"new_xp\":" + std::to_string(newXp);

  // Sorted by XP, largest first: the page lists the top languages first.
  auto byXp = a.languages;
  std::sort(byXp.begin(), byXp.end(), [](const auto& x, const auto& y) { return x.second > y.second || (x.second == y.second && x.first < y.first); });
  out += ",\"languages\":{";
  bool first = true;
  for (const auto& [id, xp] : byXp) {
    auto it = newByLanguage.find(id);
    xpsEntry(out, first, languageName(dir, id), xp, it == newByLanguage.end() ? 0 : it->second);
  }
  out += "},\"machines\":{";
  first = true;
  for (const auto& [id, xp] : a.machines) {
    const MachineInfo* info = nullptr;
    for (const auto& m : a.machineInfo)
      if (m.id == id) info = &m;
    if (!info || !info->active) continue;  // deleted or inactive machines are not listed (spec §4)
    auto it = newByMachine.find(id);
    xpsEntry(out, first, info->name, xp, it == newByMachine.end() ? 0 : it->second);
  }
  out += "},\"dates\":{";
  for (size_t i = 0; i < a.days.size(); ++i) {
    if (i) out += ',';
    out += '"' + isoDate(a.days[i].first) + "\":" + std::to_string(a.days[i].second);
  }
  out += "},\"hours\":{";
  first = true;
  for (size_t h = 0; h < 24; ++h) {
    if (!a.hours[h]) continue;
    if (!first) out += ',';
    first = false;
    out += '"' + std::to_string(h) + "\":" + std::to_string(a.hours[h]);
  }
  out += "},\"last_programmed\":";
  out += a.days.empty() ? "null" : jsonString(isoDate(a.days.back().first));
  out += ",\"last_pulse_at\":";
  out += a.lastPulseAt ? jsonString(isoInstant(a.lastPulseAt)) : "null";
  out += ",\"day_language_since\":" + jsonString(isoDate(windowStart));
  out += ",\"day_language_xps\":[";
  first = true;
  for (const auto& [key, xp] : dayLanguage) {
    if (!first) out += ',';
    first = false;
    out += "{\"date\":" + jsonString(isoDate(key.first)) + ",\"language\":" + jsonString(languageName(dir, key.second)) +
           ",\"xp\":" + std::to_string(xp) + "}";
  }
  out += "],\"stamp\":" + jsonString(stamp) + "}";
  return out;
}

std::string renderFrontpage(int64_t total, const std::vector<std::pair<int64_t, int64_t>>& languages24h,
                            const Directory& dir) {
  auto sorted = languages24h;
  std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.second > y.second || (x.second == y.second && x.first < y.first); });
  int64_t sum = 0;
  for (const auto& [l, xp] : sorted) sum += xp;
  std::string out = "{\"total_xp\":" + std::to_string(total) + ",\"xp_24h\":" + std::to_string(sum) + ",\"languages_24h\":{";
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i) out += ',';
    out += jsonString(languageName(dir, sorted[i].first)) + ":" + std::to_string(sorted[i].second);
  }
  out += "},\"most_active_languages\":[";
  for (size_t i = 0; i < sorted.size() && i < 10; ++i) {
    if (i) out += ',';
    out += "{\"language\":" + jsonString(languageName(dir, sorted[i].first)) + ",\"xp\":" + std::to_string(sorted[i].second) + "}";
  }
  return out + "]}";
}

std::string renderXpHistory(const std::vector<std::pair<int64_t, int64_t>>& minutesNewestFirst) {
  std::string out = "{\"xp_history\":[";
  bool first = true;
  for (const auto& [minute, xp] : minutesNewestFirst) {
    int64_t ms = minute * kMsPerMinute;
    int32_t d = dayOf(ms);
    int h = hourOf(ms);
    int m = static_cast<int>((minute % 60 + 60) % 60);
    if (!first) out += ',';
    first = false;
    out += "[[[" + std::to_string(d / 10000) + "," + std::to_string(d / 100 % 100) + "," + std::to_string(d % 100) +
           "],[" + std::to_string(h) + "," + std::to_string(m) + "]]," + std::to_string(xp) + "]";
  }
  return out + "]}";
}

}  // namespace codestats::cache
