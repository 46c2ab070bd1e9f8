// What the profile and front pages show, computed from ProfileData: level texts, progress
// bars (spec §5) and the year calendar. No SDK.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "profile_data.hpp"

namespace codestats::web {

// 1234567 -> "1,234,567" (spec §5).
std::string formatXp(int64_t xp);
// "Level 3 (15,000 XP)" plus " (+120)" when recent > 0; prefix "Elixir level" for a language.
std::string levelText(int64_t xp, int64_t recent, const std::string& prefix = "Level");
// The svg.xp-bar markup of docs/frontend.md (numbers only, safe to embed unescaped).
std::string xpBarSvg(int64_t xp, int64_t recent);
// XP per day of year 1..366 after moving every date to 2000 (spec §5); index 0 unused.
std::array<int64_t, 367> dayOfYear(const ProfileData& p);
// The calendar cell's shade 0..4, as frontend/src/profile_page.js computes it.
int heatStep(int64_t xp, int64_t max);
// "5 Mar" for day 65 of the leap year 2000 that dayOfYear() folds every date into.
std::string dayOfYearLabel(size_t day);
// "May 30, 2016" for Unix milliseconds (UTC).
std::string monthDayYear(int64_t ms);

}  // namespace codestats::web
