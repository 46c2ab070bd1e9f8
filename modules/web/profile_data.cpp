#include "profile_data.hpp"

#include <algorithm>

namespace codestats::web {

void normalise(ProfileData& p) {
  auto byXp = [](const RecentXp& a, const RecentXp& b) { return a.xp != b.xp ? a.xp > b.xp : a.name < b.name; };
  std::sort(p.languages.begin(), p.languages.end(), byXp);
  std::sort(p.machines.begin(), p.machines.end(), byXp);
  std::sort(p.dates.begin(), p.dates.end());
  std::sort(p.hours.begin(), p.hours.end());
}

}  // namespace codestats::web
