#include "levels.hpp"

#include <cmath>

namespace codestats::web {

int64_t levelOf(int64_t xp) {
  if (xp <= 0) return 0;
  // level = floor(sqrt(xp / 1600)); corrected after the floating-point estimate.
  auto level = static_cast<int64_t>(std::sqrt(static_cast<double>(xp) / 1600.0));
  while (level > 0 && 1600 * level * level > xp) --level;
  while (1600 * (level + 1) * (level + 1) <= xp) ++level;
  return level;
}

int64_t nextLevelXp(int64_t level) {
  if (level < 0) return 0;
  return 1600 * (level + 1) * (level + 1);
}

int progressPercent(int64_t xp) {
  if (xp < 0) xp = 0;
  int64_t level = levelOf(xp);
  int64_t start = nextLevelXp(level - 1), end = nextLevelXp(level);
  // round(100 * (xp - start) / (end - start)), half away from zero, in integers.
  int64_t num = 200 * (xp - start) + (end - start), den = 2 * (end - start);
  return static_cast<int>(num / den);
}

XpBar xpBar(int64_t total, int64_t recent) {
  int64_t level = levelOf(total);
  int64_t have = total - 1600 * level * level;
  XpBar bar;
  if (have > recent) {
    bar.oldPercent = progressPercent(total - recent);
    bar.recentPercent = progressPercent(total) - bar.oldPercent;
  } else {
    bar.recentPercent = progressPercent(total);
  }
  return bar;
}

}  // namespace codestats::web
