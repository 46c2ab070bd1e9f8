#include "render.hpp"

#include <codestats/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

#include "common/profile_codec.hpp"

namespace codestats::cache {
namespace {

std::string languageName(const Directory& dir, int64_t id) {
  auto name = dir.languageName(id);
  return name ? *name : "language #" + std::to_string(id);
}

// A user's profile as cache.v1 answers it: the aggregates, the 12 h window and the 14-day
// window at nowMs.
common::Profile profileOf(const UserInfo& user, const UserAggregates& a, const Directory& dir, int64_t nowMs,
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
  auto recent = [](const std::map<int64_t, int64_t>& m, int64_t id) {
    auto it = m.find(id);
    return it == m.end() ? int64_t{0} : it->second;
  };

  common::Profile p;
  p.username = user.username;
  p.userId = user.id;
  p.isPrivate = user.isPrivate;
  p.registeredMs = user.insertedAt;
  p.avatar = user.avatar;
  p.totalXp = a.total;
  for (const auto& [l, xp] : newByLanguage) p.newXp += xp;
  // Sorted by XP, largest first: the page lists the top languages first.
  auto byXp = a.languages;
  std::sort(byXp.begin(), byXp.end(), [](const auto& x, const auto& y) {
    return x.second > y.second || (x.second == y.second && x.first < y.first);
  });
  p.languages.reserve(byXp.size());
  for (const auto& [id, xp] : byXp) p.languages.push_back({languageName(dir, id), xp, recent(newByLanguage, id)});
  for (const auto& [id, xp] : a.machines) {
    const MachineInfo* info = nullptr;
    for (const auto& m : a.machineInfo)
      if (m.id == id) info = &m;
    if (!info || !info->active) continue;  // deleted or inactive machines are not listed (spec §4)
    p.machines.push_back({info->name, xp, recent(newByMachine, id)});
  }
  p.dates.assign(a.days.begin(), a.days.end());
  for (int h = 0; h < 24; ++h)
    if (a.hours[static_cast<size_t>(h)]) p.hours.emplace_back(h, a.hours[static_cast<size_t>(h)]);
  p.lastPulseAtMs = a.lastPulseAt;
  p.dayLanguageSince = windowStart;
  p.dayLanguages.reserve(dayLanguage.size());
  for (const auto& [key, xp] : dayLanguage) p.dayLanguages.push_back({key.first, languageName(dir, key.second), xp});
  p.stamp = stamp;
  return p;
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
  return common::encodeProfile(profileOf(user, a, dir, nowMs, stamp));
}

std::string renderFrontpage(int64_t total, const std::vector<std::pair<int64_t, int64_t>>& languages24h,
                            const Directory& dir) {
  auto sorted = languages24h;
  std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) {
    return x.second > y.second || (x.second == y.second && x.first < y.first);
  });
  int64_t sum = 0;
  for (const auto& [l, xp] : sorted) sum += xp;
  std::string out =
      "{\"total_xp\":" + std::to_string(total) + ",\"xp_24h\":" + std::to_string(sum) + ",\"languages_24h\":{";
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i) out += ',';
    out += jsonString(languageName(dir, sorted[i].first)) + ":" + std::to_string(sorted[i].second);
  }
  out += "},\"most_active_languages\":[";
  for (size_t i = 0; i < sorted.size() && i < 10; ++i) {
    if (i) out += ',';
    out += "{\"language\":" + jsonString(languageName(dir, sorted[i].first)) +
           ",\"xp\":" + std::to_string(sorted[i].second) + "}";
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
