// XP summed per user and language, machine, local day and local hour, with each user's
// total and last pulse: what a batch of pulses adds to ingest's aggregate tables (live
// ingest, a delta import), or what every pulse adds up to (a rebuild). Pure: no SDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace codestats::ingest {

struct AggregateRow {
  int64_t user = 0;
  int64_t key = 0;  // language, machine, day (YYYYMMDD) or hour
  int64_t xp = 0;
  bool operator==(const AggregateRow&) const = default;
};

struct UserTotal {
  int64_t user = 0;
  int64_t xp = 0;
  int64_t lastPulseAt = 0;
  bool operator==(const UserTotal&) const = default;
};

class AggregateSums {
 public:
  void addXp(int64_t user, int64_t language, int64_t amount) { languages_[{user, language}] += amount; }
  // One pulse with the sum of its xps: addPulseRows and addTotal.
  void addPulse(int64_t user, int64_t machine, int64_t day, int64_t hour, int64_t sentAt, int64_t xp);
  // Its machine, day and hour rows (a rebuild makes none for a pulse without xps).
  void addPulseRows(int64_t user, int64_t machine, int64_t day, int64_t hour, int64_t xp);
  // The user's total and last pulse (a pulse without xps counts as the last one too).
  void addTotal(int64_t user, int64_t sentAt, int64_t xp);

  // In key order (user, then key): PostgreSQL then locks the rows of concurrent batches in
  // one order (no deadlock), and SQLite appends to its tables clustered by that key.
  std::vector<AggregateRow> languages() const { return sorted(languages_); }
  std::vector<AggregateRow> machines() const { return sorted(machines_); }
  std::vector<AggregateRow> days() const { return sorted(days_); }
  std::vector<AggregateRow> hours() const { return sorted(hours_); }
  std::vector<UserTotal> totals() const;
  bool empty() const { return languages_.empty() && machines_.empty() && totals_.empty(); }

 private:
  struct KeyHash {
    size_t operator()(const std::pair<int64_t, int64_t>& k) const noexcept {
      uint64_t h = static_cast<uint64_t>(k.first) * 0x9E3779B97F4A7C15ULL;
      return static_cast<size_t>((h ^ (h >> 29)) + static_cast<uint64_t>(k.second) * 0xBF58476D1CE4E5B9ULL);
    }
  };
  using Map = std::unordered_map<std::pair<int64_t, int64_t>, int64_t, KeyHash>;
  static std::vector<AggregateRow> sorted(const Map& m);

  Map languages_, machines_, days_, hours_;
  std::unordered_map<int64_t, std::pair<int64_t, int64_t>> totals_;  // user -> (xp, last sent_at)
};

// A rebuild's passes: consecutive user id ranges of at most `perPass` pulses each (a user
// with more is a pass of its own), from (user id, pulse count) in user id order. Bounds the
// memory of the sums to about what `perPass` pulses make.
struct UserRange {
  int64_t from = 0, to = 0;
  bool operator==(const UserRange&) const = default;
};
std::vector<UserRange> splitUsers(const std::vector<std::pair<int64_t, int64_t>>& pulsesPerUser, int64_t perPass);
// `parts` ranges of equal width covering first..last (fewer when there are fewer ids).
std::vector<UserRange> evenUserRanges(int64_t first, int64_t last, int64_t parts);

}  // namespace codestats::ingest
