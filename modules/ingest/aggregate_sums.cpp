#include "aggregate_sums.hpp"

#include <algorithm>

namespace codestats::ingest {

void AggregateSums::addPulse(int64_t user, int64_t machine, int64_t day, int64_t hour, int64_t sentAt, int64_t xp) {
  addPulseRows(user, machine, day, hour, xp);
  addTotal(user, sentAt, xp);
}

void AggregateSums::addTotal(int64_t user, int64_t sentAt, int64_t xp) {
  auto& t = totals_[user];
  t.first += xp;
  if (sentAt > t.second) t.second = sentAt;
}

void AggregateSums::addPulseRows(int64_t user, int64_t machine, int64_t day, int64_t hour, int64_t xp) {
  machines_[{user, machine}] += xp;
  days_[{user, day}] += xp;
  hours_[{user, hour}] += xp;
}

std::vector<AggregateRow> AggregateSums::sorted(const Map& m) {
  std::vector<AggregateRow> out;
  out.reserve(m.size());
  for (const auto& [k, xp] : m) out.push_back(AggregateRow{k.first, k.second, xp});
  std::sort(out.begin(), out.end(), [](const AggregateRow& a, const AggregateRow& b) {
    return a.user != b.user ? a.user < b.user : a.key < b.key;
  });
  return out;
}

std::vector<UserTotal> AggregateSums::totals() const {
  std::vector<UserTotal> out;
  out.reserve(totals_.size());
  for (const auto& [user, t] : totals_) out.push_back(UserTotal{user, t.first, t.second});
  std::sort(out.begin(), out.end(), [](const UserTotal& a, const UserTotal& b) { return a.user < b.user; });
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
