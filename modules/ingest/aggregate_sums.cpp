#include "aggregate_sums.hpp"

#include <algorithm>

namespace codestats::ingest {

void AggregateSums::addPulse(int64_t user, int64_t machine, int64_t day, int64_t hour, int64_t sentAt, int64_t xp) {
  addPulseRows(user, machine, day, hour, xp);
  addTotal(user, sentAt, xp);
}

void AggregateSums::addPulseRows(int64_t user, int64_t machine, int64_t day, int64_t hour, int64_t xp) {
  PerUser& u = of(user);
  add(u.machines, machine, xp);
  add(u.hours, hour, xp);
  u.days.emplace_back(day, xp);
}

void AggregateSums::addTotal(int64_t user, int64_t sentAt, int64_t xp) {
  PerUser& u = of(user);
  u.totalXp += xp;
  if (!u.hasTotal || sentAt > u.lastPulseAt) u.lastPulseAt = sentAt;
  u.hasTotal = true;
}

AggregateSums::PerUser& AggregateSums::of(int64_t user) {
  if (lastSlot_ != SIZE_MAX && user == lastUser_) return users_[lastSlot_].second;
  auto [it, fresh] = slot_.try_emplace(user, users_.size());
  if (fresh) users_.emplace_back(user, PerUser{});
  lastUser_ = user;
  lastSlot_ = it->second;
  return users_[lastSlot_].second;
}

void AggregateSums::add(Sums& sums, int64_t key, int64_t xp) {
  for (auto& [k, sum] : sums)
    if (k == key) {
      sum += xp;
      return;
    }
  sums.emplace_back(key, xp);
}

std::vector<size_t> AggregateSums::usersInOrder() const {
  std::vector<size_t> order(users_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [this](size_t a, size_t b) { return users_[a].first < users_[b].first; });
  return order;
}

std::vector<AggregateRow> AggregateSums::rows(Sums PerUser::*table) const {
  std::vector<AggregateRow> out;
  Sums keys;
  for (size_t i : usersInOrder()) {
    const auto& [user, sums] = users_[i];
    keys = sums.*table;
    std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key, xp] : keys) {
      if (!out.empty() && out.back().user == user && out.back().key == key) out.back().xp += xp;  // days
      else out.push_back(AggregateRow{user, key, xp});
    }
  }
  return out;
}

std::vector<UserTotal> AggregateSums::totals() const {
  std::vector<UserTotal> out;
  for (size_t i : usersInOrder()) {
    const auto& [user, sums] = users_[i];
    if (sums.hasTotal) out.push_back(UserTotal{user, sums.totalXp, sums.lastPulseAt});
  }
  return out;
}

std::vector<UserRange> splitUsers(const std::vector<std::pair<int64_t, int64_t>>& pulsesPerUser, int64_t perPass) {
  std::vector<UserRange> out;
  int64_t inPass = 0;
  for (const auto& [user, pulses] : pulsesPerUser) {
    if (out.empty() || (inPass > 0 && inPass + pulses > perPass)) {
      out.push_back(UserRange{user, user});
      inPass = 0;
    }
    out.back().to = user;
    inPass += pulses;
  }
  return out;
}

std::vector<UserRange> evenUserRanges(int64_t first, int64_t last, int64_t parts) {
  std::vector<UserRange> out;
  if (last < first || parts < 1) return out;
  const auto span = static_cast<unsigned __int128>(static_cast<__int128>(last) - first) + 1;
  const auto width = static_cast<int64_t>((span + static_cast<unsigned>(parts) - 1) / static_cast<unsigned>(parts));
  for (int64_t from = first;; from += width) {
    const bool lastPart = static_cast<__int128>(last) - from < width;
    out.push_back(UserRange{from, lastPart ? last : from + width - 1});
    if (lastPart) return out;
  }
}

}  // namespace codestats::ingest
