#include "user_store.hpp"

#include <algorithm>

namespace codestats::cache {

uint64_t UserStore::beginLoad(int64_t userId) {
  uint64_t token = nextToken_.fetch_add(1);
  Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  s.users[userId].loadToken = token;
  return token;
}

bool UserStore::finishLoad(int64_t userId, uint64_t token, UserAggregates fresh, int64_t nowMs) {
  Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(userId);
  if (it == s.users.end() || it->second.loadToken != token) return false;  // removed or superseded
  Entry& e = it->second;
  for (const Pulse& p : e.pending) fresh.apply(p, nowMs);
  fresh.prune(nowMs);
  if (e.data) {
    fresh.lastUsed = std::max(fresh.lastUsed, e.data->lastUsed);
    if (fresh.rebuiltAt == 0) fresh.rebuiltAt = e.data->rebuiltAt;
  }
  fresh.userId = userId;
  // A reload that found what was already served (the refresher's periodic rebuild) keeps
  // the version, so the stamps of kept bodies stay valid.
  fresh.version = e.data && sameContent(*e.data, fresh) ? e.data->version : nextVersion();
  e.data = std::make_unique<UserAggregates>(std::move(fresh));
  e.pending.clear();
  e.pending.shrink_to_fit();
  e.loadToken = 0;
  e.stale = false;
  s.loadEnded.notify_all();
  return true;
}

void UserStore::abortLoad(int64_t userId, uint64_t token) {
  Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(userId);
  if (it == s.users.end() || it->second.loadToken != token) return;
  it->second.loadToken = 0;
  it->second.pending.clear();
  if (!it->second.data) s.users.erase(it);
  s.loadEnded.notify_all();
}

UserStore::PulseResult UserStore::applyPulse(const Pulse& p, int64_t nowMs) {
  Shard& s = shard(p.userId);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(p.userId);
  if (it == s.users.end()) return PulseResult::Ignored;
  Entry& e = it->second;
  bool applied = e.data ? e.data->apply(p, nowMs) : false;
  if (applied) e.data->version = nextVersion();
  if (e.loadToken) {
    e.pending.push_back(p);
    return PulseResult::Buffered;
  }
  return applied ? PulseResult::Applied : PulseResult::Duplicate;
}

void UserStore::remove(int64_t userId) {
  Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  s.users.erase(userId);
  s.loadEnded.notify_all();  // a load of it can no longer finish
}

bool UserStore::markStale(int64_t userId) {
  Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(userId);
  if (it == s.users.end()) return false;
  it->second.stale = true;
  return true;
}

bool UserStore::evict(int64_t userId) {
  Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(userId);
  if (it == s.users.end() || it->second.loadToken) return false;
  s.users.erase(it);
  return true;
}

bool UserStore::read(int64_t userId, int64_t nowMs, const std::function<void(const UserAggregates&)>& fn) {
  Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(userId);
  if (it == s.users.end() || !it->second.data || it->second.stale) return false;
  it->second.data->lastUsed = std::max(it->second.data->lastUsed, nowMs);
  fn(*it->second.data);
  return true;
}

bool UserStore::isWarm(int64_t userId) const {
  const Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(userId);
  return it != s.users.end() && it->second.data && !it->second.stale;
}

bool UserStore::isLoading(int64_t userId) const {
  const Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(userId);
  return it != s.users.end() && it->second.loadToken != 0;
}

bool UserStore::awaitLoad(int64_t userId, std::chrono::milliseconds timeout) {
  Shard& s = shard(userId);
  std::unique_lock lock(s.mutex);
  return s.loadEnded.wait_for(lock, timeout, [&] {
    auto it = s.users.find(userId);
    return it == s.users.end() || it->second.loadToken == 0;
  });
}

bool UserStore::isStale(int64_t userId) const {
  const Shard& s = shard(userId);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(userId);
  return it != s.users.end() && it->second.stale;
}

void UserStore::put(UserAggregates u) {
  Shard& s = shard(u.userId);
  std::lock_guard lock(s.mutex);
  Entry& e = s.users[u.userId];
  u.version = nextVersion();
  e.data = std::make_unique<UserAggregates>(std::move(u));
  e.stale = false;
}

void UserStore::forEachWarm(const std::function<void(const UserAggregates&)>& fn) const {
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, e] : s.users)
      if (e.data && !e.stale) fn(*e.data);
  }
}

UserStore::Stats UserStore::stats() const {
  Stats st;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, e] : s.users) {
      if (e.loadToken) ++st.loading;
      if (e.data && e.stale) ++st.stale;
      if (e.data && !e.stale) ++st.warm;
      if (e.data) st.bytes += e.data->bytes() + 64;  // + hash node
    }
  }
  return st;
}

std::optional<int64_t> UserStore::leastRecentlyRebuilt() const {
  std::optional<int64_t> best;
  int64_t bestAt = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, e] : s.users) {
      if (!e.data || e.loadToken) continue;
      // Never-rebuilt users (rebuiltAt 0) sort first: the original's NULLS LAST bug, fixed.
      if (!best || e.data->rebuiltAt < bestAt || (e.data->rebuiltAt == bestAt && id < *best)) {
        best = id;
        bestAt = e.data->rebuiltAt;
      }
    }
  }
  return best;
}

std::vector<int64_t> UserStore::idleSince(int64_t cutoffMs) const {
  std::vector<int64_t> out;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, e] : s.users)
      if (e.data && !e.loadToken && e.data->lastUsed < cutoffMs) out.push_back(id);
  }
  return out;
}

void UserStore::clear() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    s.users.clear();
  }
}

}  // namespace codestats::cache
