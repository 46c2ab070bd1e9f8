// One user's warm aggregates and how a pulse changes them. Pure, no SDK.
//
// Totals by language, machine, local day and local hour, as in the ingest aggregate tables,
// plus the user's xp rows of the last kKeepRecentMs: they give the rolling 12 h "new" XP,
// the day x language chart of the last two weeks, and the pulse ids that make applying a
// pulse idempotent (a pulse.created event may race a load that already saw the pulse).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "calendar.hpp"

namespace codestats::cache {

constexpr int64_t kRecentWindowMs = 12 * kMsPerHour;  // spec §4 "new" XP
constexpr int64_t kKeepRecentMs = 16 * kMsPerDay;     // covers 14 local days at any offset
constexpr int kDayLanguageDays = 14;                  // spec §5 "last 14 days per language"

struct PulseXp {
  int64_t languageId = 0;  // effective (alias-resolved) language
  int64_t amount = 0;
};

// A committed pulse as the cache sees it (from pulse.created or from the pulses table).
struct Pulse {
  int64_t id = 0;
  int64_t userId = 0;
  int64_t machineId = 0;
  int64_t sentAt = 0;  // UTC ms
  int32_t localDay = 0;
  int localHour = 0;
  std::vector<PulseXp> xps;
  std::string machineName;  // from the event; names a machine the cache has not seen yet
  uint64_t seq = 0;         // its event's position in the host's log (0: unknown, an older host)
  // From a reload's hand-over journal: older than events the new generation may already have
  // applied, so it is checked against the data's snapshot (baseSeq), not appliedSeq.
  bool replayed = false;
  int64_t sum() const {
    int64_t s = 0;
    for (const auto& x : xps) s += x.amount;
    return s;
  }
};

// One xp row of a recent pulse; 32 bytes.
struct RecentXp {
  int64_t pulseId;
  int64_t sentAt;
  int32_t machineId;
  int32_t languageId;
  int32_t localDay;
  int32_t amount;
  bool operator==(const RecentXp&) const = default;
};

struct MachineInfo {
  int64_t id = 0;
  std::string name;
  bool active = true;
  bool operator==(const MachineInfo&) const = default;
};

using Counts = std::vector<std::pair<int64_t, int64_t>>;  // key -> xp; small, unsorted

struct UserAggregates {
  int64_t userId = 0;
  int64_t total = 0;
  int64_t lastPulseAt = 0;                        // UTC ms, 0 = never
  Counts languages;                               // effective language id -> xp
  Counts machines;                                // machine id -> xp (inactive machines included)
  std::vector<std::pair<int32_t, int64_t>> days;  // yyyymmdd -> xp, sorted by day
  std::array<int64_t, 24> hours{};
  std::vector<RecentXp> recent;  // sentAt >= now - kKeepRecentMs
  std::vector<MachineInfo> machineInfo;
  int64_t rebuiltAt = 0;    // last full rebuild from the pulses table (ms), 0 = never
  int64_t lastUsed = 0;     // last read or pulse (ms), for eviction
  uint64_t version = 0;     // set by UserStore on every change of the above: the profile stamp
  uint64_t appliedSeq = 0;  // the last event applied: delivery is in log order
  uint64_t baseSeq = 0;     // the log position of the snapshot (DB read, state import) it was built from

  // Adds `p` unless it is already in: its event is at or before appliedSeq (a replayed one:
  // baseSeq), or (without a sequence number) a pulse with its id is among the recent rows;
  // false when skipped.
  bool apply(const Pulse& p, int64_t nowMs);
  // Drops recent rows older than the keep window.
  void prune(int64_t nowMs);
  void addDay(int32_t day, int64_t xp);
  bool hasRecentPulse(int64_t pulseId) const;
  // Rough heap + object size, for the bytes-per-user figure.
  size_t bytes() const;
};

void addTo(Counts& counts, int64_t key, int64_t xp);

// True when a and b give the same profile answer at any time (the served fields; not the
// bookkeeping: lastUsed, rebuiltAt, version). Lists in another order count as different.
bool sameContent(const UserAggregates& a, const UserAggregates& b);

}  // namespace codestats::cache
