// The in-memory avatar cache (spec §10.3): one entry per Gravatar hash with a real TTL
// (failures kept briefly), bounded in bytes (least recently used first out), and one
// upstream fetch per hash at a time: concurrent requests for a hash being fetched wait for
// that fetch on their own (request) threads. The cache owns no thread. Pure, no SDK.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace codestats::web {

// What the upstream answered. ok = a 200 with an image; otherwise `error` says why.
struct Avatar {
  bool ok = false;
  std::string contentType;
  std::string bytes;
  std::string etag;  // quoted; derived from the bytes
  std::string error;
};

struct AvatarCacheLimits {
  std::chrono::milliseconds ttl{std::chrono::hours(1)};
  std::chrono::milliseconds failureTtl{std::chrono::seconds(60)};
  size_t maxBytes = size_t{32} << 20;  // image bytes plus a fixed overhead per entry
};

class AvatarCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Fetch = std::function<Avatar()>;

  explicit AvatarCache(AvatarCacheLimits limits, std::function<Clock::time_point()> now = Clock::now)
      : limits_(limits), now_(std::move(now)) {}

  // The cached answer for `hash`, or the result of `fetch` (run at most once at a time per
  // hash; an exception from it is a failure). Never throws what `fetch` throws.
  std::shared_ptr<const Avatar> get(const std::string& hash, const Fetch& fetch);

  struct Stats {
    size_t entries = 0, bytes = 0;
    uint64_t hits = 0, fetches = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::shared_ptr<const Avatar> avatar;
    Clock::time_point expires;
    size_t cost = 0;
    std::list<std::string>::iterator lru;
  };
  struct Flight {
    std::mutex mu;
    std::condition_variable done;
    std::shared_ptr<const Avatar> result;
  };

  void store(const std::string& hash, std::shared_ptr<const Avatar> avatar);  // mu_ held
  void evict(const std::string& hash);                                        // mu_ held

  AvatarCacheLimits limits_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recently used first
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
  size_t bytes_ = 0;
  uint64_t hits_ = 0, fetches_ = 0;
};

}  // namespace codestats::web
