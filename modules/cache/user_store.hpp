// The warm users, sharded by user id, and the load protocol that keeps them exact while
// pulses keep arriving. Pure, no SDK.
//
// A user is absent, loading, warm or stale:
//   - absent: pulse events are ignored (the DB has them; a later load reads them);
//   - loading: beginLoad() handed out a token; pulses are buffered (and also applied to the
//     old data when there is any, so reads during a rebuild stay exact). finishLoad() installs
//     the DB snapshot and re-applies the buffered pulses the snapshot did not contain (by
//     pulse id: a load starts buffering before its query runs, so every pulse is either in
//     the snapshot, in the buffer, or both);
//   - stale: data that must not be served (an invalidation event arrived); reads reload.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "aggregates.hpp"

namespace codestats::cache {

class UserStore {
 public:
  static constexpr size_t kShards = 64;

  enum class PulseResult { Ignored, Buffered, Applied, Duplicate };

  // Starts (or restarts) a load; the returned token is needed to finish it.
  uint64_t beginLoad(int64_t userId);
  // Installs `fresh` if `token` is still the user's current load (not superseded, the user
  // not removed meanwhile).
  bool finishLoad(int64_t userId, uint64_t token, UserAggregates fresh, int64_t nowMs);
  // Forgets a failed load (the user stays as it was).
  void abortLoad(int64_t userId, uint64_t token);

  PulseResult applyPulse(const Pulse& p, int64_t nowMs);
  void remove(int64_t userId);
  // Marks warm data as not servable until reloaded; false when the user is not cached.
  bool markStale(int64_t userId);
  // Drops an idle user's data to save memory; the next read loads it again.
  bool evict(int64_t userId);

  // Calls fn with the user's data when warm (not stale), under the shard lock.
  bool read(int64_t userId, int64_t nowMs, const std::function<void(const UserAggregates&)>& fn);
  bool isWarm(int64_t userId) const;
  bool isStale(int64_t userId) const;
  // A load of the user is in progress (begun, not yet finished or aborted).
  bool isLoading(int64_t userId) const;
  // Waits up to `timeout` while a load of the user is in progress; false if one was in
  // progress and still is.
  bool awaitLoad(int64_t userId, std::chrono::milliseconds timeout);

  // Installs a warm user as is (state import).
  void put(UserAggregates u);
  // Calls fn for every warm user, one shard lock at a time.
  void forEachWarm(const std::function<void(const UserAggregates&)>& fn) const;

  struct Stats {
    size_t warm = 0, loading = 0, stale = 0;
    size_t bytes = 0;
  };
  Stats stats() const;
  // The warm user rebuilt longest ago (never-rebuilt first), and the idle ones.
  std::optional<int64_t> leastRecentlyRebuilt() const;
  std::vector<int64_t> idleSince(int64_t cutoffMs) const;
  void clear();

 private:
  struct Entry {
    std::unique_ptr<UserAggregates> data;
    bool stale = false;
    uint64_t loadToken = 0;
    std::vector<Pulse> pending;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::condition_variable loadEnded;  // a load of one of its users finished or was dropped
    std::unordered_map<int64_t, Entry> users;
  };
  Shard& shard(int64_t userId) { return shards_[static_cast<size_t>(userId) % kShards]; }
  const Shard& shard(int64_t userId) const { return shards_[static_cast<size_t>(userId) % kShards]; }

  std::array<Shard, kShards> shards_;
  uint64_t nextVersion() { return nextVersion_.fetch_add(1, std::memory_order_relaxed); }

  std::atomic<uint64_t> nextToken_{1};
  std::atomic<uint64_t> nextVersion_{1};  // unique across users: a reload never reuses one
};

}  // namespace codestats::cache
