#include "profile_view.hpp"

#include <algorithm>
#include <ctime>

#include "levels.hpp"

namespace codestats::web {

std::string formatXp(int64_t xp) {
  std::string digits = std::to_string(xp < 0 ? -xp : xp), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return xp < 0 ? "-" + out : out;
}

std::string levelText(int64_t xp, int64_t recent, const std::string& prefix) {
  std::string t = prefix + " " + std::to_string(levelOf(xp)) + " (" + formatXp(xp) + " XP)";
  if (recent > 0) t += " (+" + formatXp(recent) + ")";
  return t;
}

std::string xpBarSvg(int64_t xp, int64_t recent) {
  XpBar b = xpBar(xp, recent);
  std::string old = std::to_string(b.oldPercent), fresh = std::to_string(b.recentPercent);
  return "<svg class=\"xp-bar\" viewBox=\"0 0 100 4\" preserveAspectRatio=\"none\" aria-label=\"" +
         std::to_string(b.oldPercent + b.recentPercent) + " %\"><rect class=\"old\" height=\"4\" width=\"" + old +
         "\"></rect><rect class=\"recent\" height=\"4\" x=\"" + old + "\" width=\"" + fresh + "\"></rect></svg>";
}

namespace {
constexpr int kMonthStart[12] = {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335};  // 2000
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace

std::array<int64_t, 367> dayOfYear(const ProfileData& p) {
  std::array<int64_t, 367> out{};
  for (const auto& [day, xp] : p.dates) {
    int month = (day / 100) % 100, d = day % 100;
    if (month < 1 || month > 12 || d < 1 || d > 31) continue;
    out[static_cast<size_t>(kMonthStart[month - 1] + d)] += xp;
  }
  return out;
}

int heatStep(int64_t xp, int64_t max) {
  if (xp == 0 || max == 0) return 0;
  return static_cast<int>(std::min<int64_t>(4, 1 + (4 * xp) / (max + 1)));
}

std::string dayOfYearLabel(size_t day) {
  if (day < 1 || day > 366) return {};
  size_t month = 11;
  while (static_cast<size_t>(kMonthStart[month]) >= day) --month;
  return std::to_string(day - static_cast<size_t>(kMonthStart[month])) + " " + kMonths[month];
}

std::string monthDayYear(int64_t ms) {
  time_t t = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return std::string(kMonths[tm.tm_mon]) + " " + std::to_string(tm.tm_mday) + ", " + std::to_string(tm.tm_year + 1900);
}

}  // namespace codestats::web
