#include "profile_data.hpp"

#include <algorithm>
#include <cstdio>

namespace codestats::web {

std::string isoDate(int32_t d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d / 10000, (d / 100) % 100, d % 100);
  return buf;
}

std::optional<int32_t> parseIsoDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int32_t v = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

void normalise(ProfileData& p) {
  auto byXp = [](const RecentXp& a, const RecentXp& b) { return a.xp != b.xp ? a.xp > b.xp : a.name < b.name; };
  std::sort(p.languages.begin(), p.languages.end(), byXp);
  std::sort(p.machines.begin(), p.machines.end(), byXp);
  std::sort(p.dates.begin(), p.dates.end());
  std::sort(p.hours.begin(), p.hours.end());
}

}  // namespace codestats::web
