// Front-page aggregates: everyone's total XP, and per UTC minute of the last 24 h the XP
// by language (for "last 24 h by language", the most active languages and the 4 h
// xp_history with each xp row capped at 400, spec §10.1). Pure, no SDK.
//
// Loaded with the same protocol as a user (user_store.hpp): pulses that arrive while the
// load runs are buffered and re-applied unless the snapshot already had them. Applying a
// pulse is idempotent for kDedupWindowMs after it arrived (by pulse id).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aggregates.hpp"

namespace codestats::cache {

constexpr int64_t kFrontWindowMs = 24 * kMsPerHour;
constexpr int64_t kHistoryWindowMs = 4 * kMsPerHour;
constexpr int64_t kHistoryCap = 400;
constexpr int64_t kDedupWindowMs = kMsPerMinute;  // ids kept ~1 min: 1.2M at 20k pulses/s

struct WindowXp {
  int64_t pulseId = 0;
  int64_t sentAt = 0;
  int64_t languageId = 0;
  int64_t amount = 0;
};

struct FrontpageSnapshot {
  int64_t total = 0;               // SUM(user_totals.xp)
  std::vector<WindowXp> window;    // xp rows of pulses sent in the last 24 h
  std::vector<int64_t> recentIds;  // pulses inserted in the last kDedupWindowMs
  uint64_t logPosition = 0;        // the event log's head in the same snapshot
};

class FrontpageState {
 public:
  uint64_t beginLoad();
  bool finishLoad(uint64_t token, FrontpageSnapshot snap, int64_t nowMs);
  void abortLoad(uint64_t token);
  bool loaded() const;     // has data (possibly being refreshed)
  bool needsLoad() const;  // no data, or marked dirty and no load running
  void markDirty();        // serve the current data, reload soon

  void applyPulse(const Pulse& p, int64_t nowMs);
  void adjustTotal(int64_t delta);

  int64_t total() const;
  // (unix minute, capped xp), newest first, minutes after nowMs - 4 h.
  std::vector<std::pair<int64_t, int64_t>> xpHistory(int64_t nowMs) const;
  // language id -> xp over the last 24 h.
  std::vector<std::pair<int64_t, int64_t>> languages24h(int64_t nowMs) const;

  // State hand-over.
  struct Export {
    bool loaded = false;
    int64_t total = 0;
    std::vector<std::pair<int64_t, std::vector<std::pair<int64_t, int64_t>>>> minutes;  // minute -> (lang, xp)
    std::vector<std::pair<int64_t, std::vector<std::pair<int64_t, int64_t>>>> capped;   // minute -> (lang, capped)
    std::vector<std::pair<int64_t, int64_t>> seen;                                      // pulse id -> seen at
    uint64_t appliedSeq = 0;
  };
  Export exportState() const;
  void importState(Export e);

 private:
  void applyLocked(const Pulse& p, int64_t nowMs);
  void pruneLocked(int64_t nowMs);

  mutable std::mutex mutex_;
  bool loaded_ = false;
  bool dirty_ = false;
  uint64_t loadToken_ = 0, nextToken_ = 1;
  std::vector<Pulse> pending_;
  int64_t total_ = 0;
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> minutes_;  // unix minute -> (lang, xp)
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> capped_;   // unix minute -> (lang, capped xp)
  std::unordered_map<int64_t, int64_t> seen_;                            // pulse id -> when applied
  uint64_t appliedSeq_ = 0;  // the last event counted (delivery is in log order)
  uint64_t baseSeq_ = 0;     // the log position of the snapshot loaded or imported (for replays)
  int64_t lastPrune_ = 0;
};

}  // namespace codestats::cache
