#include "frontpage_state.hpp"

#include <algorithm>

namespace codestats::cache {
namespace {

void add(std::vector<std::pair<int64_t, int64_t>>& v, int64_t key, int64_t xp) {
  for (auto& [k, x] : v)
    if (k == key) {
      x += xp;
      return;
    }
  v.emplace_back(key, xp);
}

int64_t minuteOf(int64_t ms) { return ms >= 0 ? ms / kMsPerMinute : (ms - kMsPerMinute + 1) / kMsPerMinute; }

}  // namespace

uint64_t FrontpageState::beginLoad() {
  std::lock_guard lock(mutex_);
  loadToken_ = nextToken_++;
  dirty_ = false;
  return loadToken_;
}

bool FrontpageState::finishLoad(uint64_t token, FrontpageSnapshot snap, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  if (token != loadToken_) return false;
  total_ = snap.total;
  minutes_.clear();
  capped_.clear();
  seen_.clear();
  for (const auto& w : snap.window) {
    int64_t m = minuteOf(w.sentAt);
    add(minutes_[m], w.languageId, w.amount);
    add(capped_[m], w.languageId, std::min(w.amount, kHistoryCap));
  }
  for (int64_t id : snap.recentIds) seen_[id] = nowMs;
  appliedSeq_ = baseSeq_ = snap.logPosition;
  std::vector<Pulse> pending;
  pending.swap(pending_);
  for (const Pulse& p : pending) applyLocked(p, nowMs);
  loadToken_ = 0;
  loaded_ = true;
  pruneLocked(nowMs);
  return true;
}

void FrontpageState::abortLoad(uint64_t token) {
  std::lock_guard lock(mutex_);
  if (token != loadToken_) return;
  loadToken_ = 0;
  pending_.clear();
  dirty_ = true;
}

bool FrontpageState::loaded() const {
  std::lock_guard lock(mutex_);
  return loaded_;
}

bool FrontpageState::needsLoad() const {
  std::lock_guard lock(mutex_);
  return (!loaded_ || dirty_) && !loadToken_;
}

void FrontpageState::markDirty() {
  std::lock_guard lock(mutex_);
  dirty_ = true;
}

void FrontpageState::applyPulse(const Pulse& p, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  if (loadToken_) pending_.push_back(p);
  if (loaded_) applyLocked(p, nowMs);
  // Not loaded and not loading: the next load reads the pulse from the DB.
}

void FrontpageState::applyLocked(const Pulse& p, int64_t nowMs) {
  if (p.seq != 0) {                                              // in log order, at least once
    if (p.seq <= (p.replayed ? baseSeq_ : appliedSeq_)) return;  // a replayed one: against the snapshot
    appliedSeq_ = std::max(appliedSeq_, p.seq);
  } else if (!seen_.emplace(p.id, nowMs).second) {
    return;  // already counted
  }
  int64_t sum = 0;
  int64_t m = minuteOf(p.sentAt);
  bool inWindow = p.sentAt > nowMs - kFrontWindowMs;
  for (const auto& x : p.xps) {
    sum += x.amount;
    if (!inWindow) continue;
    add(minutes_[m], x.languageId, x.amount);
    add(capped_[m], x.languageId, std::min(x.amount, kHistoryCap));
  }
  total_ += sum;
  if (nowMs - lastPrune_ >= 1000) pruneLocked(nowMs);  // at most once a second
}

void FrontpageState::pruneLocked(int64_t nowMs) {
  lastPrune_ = nowMs;
  int64_t oldest = minuteOf(nowMs - kFrontWindowMs);
  minutes_.erase(minutes_.begin(), minutes_.lower_bound(oldest));
  capped_.erase(capped_.begin(), capped_.lower_bound(oldest));
  for (auto it = seen_.begin(); it != seen_.end();)
    it = it->second < nowMs - kDedupWindowMs ? seen_.erase(it) : std::next(it);
}

void FrontpageState::adjustTotal(int64_t delta) {
  std::lock_guard lock(mutex_);
  total_ += delta;
}

int64_t FrontpageState::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::vector<std::pair<int64_t, int64_t>> FrontpageState::xpHistory(int64_t nowMs) const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<int64_t, int64_t>> out;
  int64_t from = minuteOf(nowMs - kHistoryWindowMs);
  for (auto it = capped_.rbegin(); it != capped_.rend() && it->first >= from; ++it) {
    int64_t sum = 0;
    for (const auto& [lang, xp] : it->second) sum += xp;
    out.emplace_back(it->first, sum);
  }
  return out;
}

std::vector<std::pair<int64_t, int64_t>> FrontpageState::languages24h(int64_t nowMs) const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<int64_t, int64_t>> out;
  int64_t from = minuteOf(nowMs - kFrontWindowMs);
  for (auto it = minutes_.lower_bound(from); it != minutes_.end(); ++it)
    for (const auto& [lang, xp] : it->second) add(out, lang, xp);
  return out;
}

FrontpageState::Export FrontpageState::exportState() const {
  std::lock_guard lock(mutex_);
  Export e;
  e.loaded = loaded_ && !dirty_;
  if (!e.loaded) return e;
  e.total = total_;
  e.minutes.assign(minutes_.begin(), minutes_.end());
  e.capped.assign(capped_.begin(), capped_.end());
  e.seen.assign(seen_.begin(), seen_.end());
  e.appliedSeq = appliedSeq_;
  return e;
}

void FrontpageState::importState(Export e) {
  std::lock_guard lock(mutex_);
  if (!e.loaded) return;
  loaded_ = true;
  loadToken_ = 0;
  pending_.clear();
  total_ = e.total;
  minutes_ = std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>>(e.minutes.begin(), e.minutes.end());
  capped_ = std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>>(e.capped.begin(), e.capped.end());
  seen_ = std::unordered_map<int64_t, int64_t>(e.seen.begin(), e.seen.end());
  appliedSeq_ = baseSeq_ = e.appliedSeq;
}

}  // namespace codestats::cache
