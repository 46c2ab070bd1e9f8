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
  void addXp(int64_t user, int64_t language, int64_t amount) { add(of(user).languages, language, amount); }
  // One pulse with the sum of its xps: addPulseRows and addTotal.
  void addPulse(int64_t user, int64_t machine, int64_t day, int64_t hour, int64_t sentAt, int64_t xp);
  // Its machine, day and hour rows (a rebuild makes none for a pulse without xps).
  void addPulseRows(int64_t user, int64_t machine, int64_t day, int64_t hour, int64_t xp);
  // The user's total and last pulse (a pulse without xps counts as the last one too).
  void addTotal(int64_t user, int64_t sentAt, int64_t xp);

  // In key order (user, then key): PostgreSQL then locks the rows of concurrent batches in
  // one order (no deadlock), and SQLite appends to its tables clustered by that key.
  std::vector<AggregateRow> languages() const { return rows(&PerUser::languages); }
  std::vector<AggregateRow> machines() const { return rows(&PerUser::machines); }
  std::vector<AggregateRow> days() const { return rows(&PerUser::days); }
  std::vector<AggregateRow> hours() const { return rows(&PerUser::hours); }
  std::vector<UserTotal> totals() const;
  bool empty() const { return users_.empty(); }

 private:
  using Sums = std::vector<std::pair<int64_t, int64_t>>;  // (key, xp)
  // Per user, small vectors rather than one hash map per table: a rebuild adds millions of
  // rows, and a user has few languages, machines and hours (found by a short scan). Days
  // are many: appended, and summed per key when the rows are read.
  struct PerUser {
    Sums languages, machines, hours, days;
    int64_t totalXp = 0, lastPulseAt = 0;
    bool hasTotal = false;
  };
  PerUser& of(int64_t user);
  static void add(Sums& sums, int64_t key, int64_t xp);
  std::vector<AggregateRow> rows(Sums PerUser::*table) const;
  std::vector<size_t> usersInOrder() const;

  std::vector<std::pair<int64_t, PerUser>> users_;  // in order of first appearance
  std::unordered_map<int64_t, size_t> slot_;        // user -> index in users_
  int64_t lastUser_ = 0;
  size_t lastSlot_ = SIZE_MAX;  // the previous row's user: rows of one user often follow each other
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
