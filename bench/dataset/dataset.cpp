#include "dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <unordered_map>

namespace dataset {
namespace {

constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;

// Popularity order roughly like Code::Stats' public language totals.
const char* kLanguages[] = {
    "JavaScript", "TypeScript", "Python", "PHP",   "Java",    "C#",      "HTML",    "CSS",        "C++",        "Go",
    "Rust",       "Elixir",     "Ruby",   "C",     "Kotlin",  "Swift",   "Shell",   "SQL",        "Markdown",   "JSON",
    "YAML",       "Vue",        "Dart",   "Scala", "Haskell", "Lua",     "Clojure", "Erlang",     "OCaml",      "Zig",
    "Elm",        "Nim",        "Perl",   "R",     "Julia",   "Fortran", "COBOL",   "Plain text", "Dockerfile", "TOML"};
constexpr int kLanguageCount = sizeof kLanguages / sizeof kLanguages[0];

// UTC offsets in minutes and their weights (Europe, the Americas, Asia, Oceania).
const std::pair<int, double> kZones[] = {{0, 8},    {60, 22}, {120, 10},  {180, 5},   {330, 8},    {480, 6},
                                         {540, 4},  {600, 2}, {-300, 12}, {-360, 5},  {-420, 3},   {-480, 8},
                                         {-180, 4}, {420, 2}, {345, 0.3}, {570, 0.3}, {-210, 0.4}, {780, 0.5}};

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int32_t yyyymmdd(int64_t ms) {
  int64_t z = floorDiv(ms, kDay) + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  int64_t y = yoe + era * 400 + (m <= 2);
  return static_cast<int32_t>(y * 10000 + m * 100 + d);
}

struct PairHash {
  size_t operator()(const std::pair<int64_t, int64_t>& p) const {
    return std::hash<int64_t>()(p.first * 1000003 ^ p.second);
  }
};

}  // namespace

Summary generate(const Options& o, Sink& sink) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Summary s;
  int64_t yearStart = o.nowMs - 365 * kDay;

  for (int i = 0; i < kLanguageCount; ++i) sink.language(i + 1, kLanguages[i], yearStart - 30 * kDay);

  // Heavy-tailed activity: Pareto weights, normalised to the requested pulse count.
  std::vector<double> weight(static_cast<size_t>(o.users));
  double sum = 0;
  for (auto& w : weight) sum += (w = 1.0 / std::pow(1.0 - unit(rng) * 0.999, 1.0 / 1.3));
  std::vector<double> zoneWeights;
  for (const auto& z : kZones) zoneWeights.push_back(z.second);
  std::discrete_distribution<int> zone(zoneWeights.begin(), zoneWeights.end());
  // Local hour of day: a working day, an evening session, little at night.
  std::discrete_distribution<int> hourDist(
      {1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 3, 6, 9, 10, 10, 7, 9, 10, 10, 9, 7, 5, 5, 6, 6, 4, 2});
  std::lognormal_distribution<double> amount(3.0, 1.0);

  int64_t pulseId = 0, xpId = 0, machineId = 0, assigned = 0;
  for (int64_t u = 1; u <= o.users; ++u) {
    int64_t n = u == o.users ? o.pulses - assigned
                             : std::llround(static_cast<double>(o.pulses) * weight[static_cast<size_t>(u - 1)] / sum);
    n = std::max<int64_t>(0, std::min(n, o.pulses - assigned));
    assigned += n;
    char name[32];
    std::snprintf(name, sizeof name, "user%06lld", static_cast<long long>(u));
    sink.user(u, name, unit(rng) < 0.05, yearStart - static_cast<int64_t>(unit(rng) * 400) * kDay);
    ++s.users;
    std::vector<int64_t> machines;
    for (int64_t m = 0; m < o.machinesPerUser; ++m) {
      machines.push_back(++machineId);
      sink.machine(machineId, u, std::string(m == 0 ? "laptop" : "machine-") + (m == 0 ? "" : std::to_string(m)),
                   yearStart);
      ++s.machines;
    }
    int tz = kZones[zone(rng)].first;
    // 2-6 languages, picked by popularity (Zipf-like), with a dominant one.
    int k = 2 + static_cast<int>(rng() % 5);
    std::vector<int64_t> langs;
    std::vector<double> langWeights;
    while (static_cast<int>(langs.size()) < k) {
      int64_t l =
          1 + std::min<int64_t>(kLanguageCount - 1, static_cast<int64_t>(std::pow(unit(rng), 2.2) * kLanguageCount));
      if (std::find(langs.begin(), langs.end(), l) != langs.end()) continue;
      langs.push_back(l);
      langWeights.push_back(langs.size() == 1 ? 6.0 : unit(rng) * 3 + 0.2);
    }
    std::discrete_distribution<size_t> langPick(langWeights.begin(), langWeights.end());
    std::vector<double> machineWeights;
    for (size_t m = 0; m < machines.size(); ++m) machineWeights.push_back(m == 0 ? 5.0 : 1.0);
    std::discrete_distribution<size_t> machinePick(machineWeights.begin(), machineWeights.end());

    std::unordered_map<std::pair<int64_t, int64_t>, int64_t, PairHash> byLang, byMachine;
    std::map<int64_t, int64_t> byDay;
    int64_t byHour[24] = {}, total = 0, last = 0;
    for (int64_t p = 0; p < n; ++p) {
      // A day of the year (weekends half as likely), then a local hour and minute.
      int64_t day;
      do {
        day = static_cast<int64_t>(unit(rng) * 365);
      } while (((floorDiv(yearStart, kDay) + day + 4) % 7 >= 5) && unit(rng) < 0.5);
      int64_t localMidnight = floorDiv(yearStart + tz * kMinute, kDay) * kDay + day * kDay;
      int64_t local = localMidnight + hourDist(rng) * kHour + static_cast<int64_t>(unit(rng) * 3600) * 1000;
      int64_t sent = local - tz * kMinute;
      if (sent > o.nowMs - kMinute) sent -= kDay, local -= kDay;
      if (sent < yearStart) sent += kDay, local += kDay;
      int64_t mid = machines[machinePick(rng)];
      int32_t ld = yyyymmdd(local);
      int lh = static_cast<int>(floorDiv(local, kHour) - floorDiv(local, kDay) * 24);
      sink.pulse(++pulseId, u, mid, sent, local, tz, ld, lh, sent + 500);
      ++s.pulses;
      int xps = unit(rng) < 0.7 ? 1 : unit(rng) < 0.83 ? 2 : 3;
      int64_t pulseSum = 0;
      std::vector<int64_t> used;
      for (int x = 0; x < xps; ++x) {
        int64_t l = langs[langPick(rng)];
        if (std::find(used.begin(), used.end(), l) != used.end()) continue;
        used.push_back(l);
        int64_t a = std::min<int64_t>(2000, 1 + static_cast<int64_t>(amount(rng)));
        sink.xp(++xpId, pulseId, l, a);
        ++s.xps;
        byLang[{u, l}] += a;
        pulseSum += a;
      }
      byMachine[{u, mid}] += pulseSum;
      byDay[ld] += pulseSum;
      byHour[lh] += pulseSum;
      total += pulseSum;
      last = std::max(last, sent);
    }
    for (const auto& [key, xp] : byLang) sink.aggregate("user_language_xps", u, key.second, xp);
    for (const auto& [key, xp] : byMachine) sink.aggregate("user_machine_xps", u, key.second, xp);
    for (const auto& [d, xp] : byDay) sink.aggregate("user_day_xps", u, d, xp);
    for (int h = 0; h < 24; ++h)
      if (byHour[h]) sink.aggregate("user_hour_xps", u, h, byHour[h]);
    if (n > 0) sink.total(u, total, last);
    s.totalXp += total;
  }
  sink.finish();
  return s;
}

}  // namespace dataset
