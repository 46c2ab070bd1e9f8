// XP and level maths (spec codestats.md §5), shared by the pages and the tests.
#pragma once

#include <cstdint>

namespace codestats::web {

// floor(0.025 * sqrt(xp)), 0 for xp <= 0; exact integer arithmetic.
int64_t levelOf(int64_t xp);
// 1600 * (level + 1)^2: the XP at which the next level starts; 0 for level -1.
int64_t nextLevelXp(int64_t level);
// Progress within the current level in whole percent, rounded half away from zero.
int progressPercent(int64_t xp);

// The two parts of a progress bar with recent XP (§5): the old part and the recent part, in percent.
struct XpBar {
  int oldPercent = 0;
  int recentPercent = 0;
};
XpBar xpBar(int64_t total, int64_t recent);

}  // namespace codestats::web
