#include "aggregates.hpp"

#include <algorithm>

namespace codestats::cache {

void addTo(Counts& counts, int64_t key, int64_t xp) {
  for (auto& [k, v] : counts)
    if (k == key) {
      v += xp;
      return;
    }
  counts.emplace_back(key, xp);
}

void UserAggregates::addDay(int32_t day, int64_t xp) {
  // New pulses are almost always on the latest day: look from the back.
  auto it = std::lower_bound(days.begin(), days.end(), day,
                             [](const std::pair<int32_t, int64_t>& e, int32_t d) { return e.first < d; });
  if (it != days.end() && it->first == day) it->second += xp;
  else days.insert(it, {day, xp});
}

bool UserAggregates::hasRecentPulse(int64_t pulseId) const {
  for (auto it = recent.rbegin(); it != recent.rend(); ++it)
    if (it->pulseId == pulseId) return true;
  return false;
}

bool UserAggregates::apply(const Pulse& p, int64_t nowMs) {
  // Delivery is at least once and in log order: an event at or before appliedSeq is in.
  if (p.seq != 0) {
    if (p.seq <= (p.replayed ? baseSeq : appliedSeq)) return false;
    appliedSeq = std::max(appliedSeq, p.seq);
  } else if (hasRecentPulse(p.id)) {
    return false;
  }
  int64_t sum = 0;
  for (const auto& x : p.xps) {
    addTo(languages, x.languageId, x.amount);
    sum += x.amount;
    recent.push_back(RecentXp{p.id, p.sentAt, static_cast<int32_t>(p.machineId), static_cast<int32_t>(x.languageId),
                              p.localDay, static_cast<int32_t>(x.amount)});
  }
  addTo(machines, p.machineId, sum);
  bool known = false;
  for (const auto& m : machineInfo) known = known || m.id == p.machineId;
  if (!known && !p.machineName.empty()) machineInfo.push_back(MachineInfo{p.machineId, p.machineName, true});
  addDay(p.localDay, sum);
  if (p.localHour >= 0 && p.localHour < 24) hours[static_cast<size_t>(p.localHour)] += sum;
  total += sum;
  lastPulseAt = std::max(lastPulseAt, p.sentAt);
  lastUsed = std::max(lastUsed, nowMs);
  prune(nowMs);
  return true;
}

void UserAggregates::prune(int64_t nowMs) {
  int64_t cutoff = nowMs - kKeepRecentMs;
  if (recent.empty()) return;
  // Rows arrive roughly in time order; one pass keeps the rest in order.
  bool any = false;
  for (const auto& r : recent) any = any || r.sentAt < cutoff;
  if (!any) return;
  recent.erase(std::remove_if(recent.begin(), recent.end(), [&](const RecentXp& r) { return r.sentAt < cutoff; }),
               recent.end());
}

size_t UserAggregates::bytes() const {
  size_t b = sizeof(*this);
  b += languages.capacity() * sizeof(Counts::value_type) + machines.capacity() * sizeof(Counts::value_type);
  b += days.capacity() * sizeof(days[0]) + recent.capacity() * sizeof(RecentXp);
  b += machineInfo.capacity() * sizeof(MachineInfo);
  for (const auto& m : machineInfo) b += m.name.capacity() > 15 ? m.name.capacity() + 1 : 0;
  return b;
}

bool sameContent(const UserAggregates& a, const UserAggregates& b) {
  return a.userId == b.userId && a.total == b.total && a.lastPulseAt == b.lastPulseAt && a.languages == b.languages &&
         a.machines == b.machines && a.days == b.days && a.hours == b.hours && a.recent == b.recent &&
         a.machineInfo == b.machineInfo;
}

}  // namespace codestats::cache
