// Rendered profile bodies (the /api/users/:name JSON, the anonymous /users/:name page) kept
// with the cache.v1 stamp of the data they were rendered from. A read asks the cache whether
// that stamp still holds (one small call) and sends the kept body when it does, instead of
// decoding the profile and rendering it again. Exact by construction: the stamp changes with
// every change of the data, and when a pulse leaves the 12 h window or the date turns
// (docs/cache.md, "Stamps"). No SDK.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace codestats::web {

class RenderedProfiles {
 public:
  struct Entry {
    std::string stamp;
    std::shared_ptr<const std::string> body;
  };

  // Bounds across all keys; the oldest-inserted entries of a shard go first.
  explicit RenderedProfiles(size_t maxEntries = 8192, size_t maxBytes = size_t{64} << 20);

  std::optional<Entry> get(const std::string& key) const;
  void put(const std::string& key, std::string stamp, std::string body);
  void erase(const std::string& key);

  size_t size() const;
  size_t bytes() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
    std::unordered_map<std::string, uint64_t> order;  // key -> insertion number
    size_t bytes = 0;
    uint64_t next = 0;
  };
  Shard& shard(const std::string& key) const { return shards_[std::hash<std::string>{}(key) % kShards]; }
  static size_t cost(const std::string& key, const Entry& e) { return key.size() + e.stamp.size() + e.body->size(); }
  void evictOne(Shard& s);

  size_t maxEntriesPerShard_, maxBytesPerShard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace codestats::web
