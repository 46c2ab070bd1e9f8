// The host's key-value store: in memory, owned by the host, so it survives module reloads.
// Keys are namespaced by module name; values may expire (ttl). Sharded to keep lock
// contention low when several modules use it on hot paths.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace codestats::host {

class KvStore {
 public:
  std::optional<std::string> get(std::string_view ns, std::string_view key);
  void put(std::string_view ns, std::string_view key, std::string_view value, uint32_t ttlMs);
  bool del(std::string_view ns, std::string_view key);
  int64_t incr(std::string_view ns, std::string_view key, int64_t delta);  // missing = 0
  size_t size() const;
  size_t bytes() const;  // approximate payload bytes

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string value;
    Clock::time_point expires{};  // epoch = never
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> map;
  };
  static constexpr size_t kShards = 16;
  Shard& shardFor(const std::string& fullKey);
  static std::string fullKey(std::string_view ns, std::string_view key);
  std::array<Shard, kShards> shards_;
};

}  // namespace codestats::host
