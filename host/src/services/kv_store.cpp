#include "services/kv_store.hpp"

#include <functional>

namespace codestats::host {

std::string KvStore::fullKey(std::string_view ns, std::string_view key) {
  std::string k;
  k.reserve(ns.size() + 1 + key.size());
  k.append(ns).push_back('\0');
  k.append(key);
  return k;
}

KvStore::Shard& KvStore::shardFor(const std::string& fullKey) {
  return shards_[std::hash<std::string>{}(fullKey) % kShards];
}

std::optional<std::string> KvStore::get(std::string_view ns, std::string_view key) {
  std::string k = fullKey(ns, key);
  Shard& s = shardFor(k);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(k);
  if (it == s.map.end()) return std::nullopt;
  if (it->second.expires != Clock::time_point{} && it->second.expires <= Clock::now()) {
    s.map.erase(it);
    return std::nullopt;
  }
  return it->second.value;
}

void KvStore::put(std::string_view ns, std::string_view key, std::string_view value, uint32_t ttlMs) {
  std::string k = fullKey(ns, key);
  Shard& s = shardFor(k);
  Entry e{std::string(value), ttlMs ? Clock::now() + std::chrono::milliseconds(ttlMs) : Clock::time_point{}};
  std::lock_guard lock(s.mu);
  s.map[std::move(k)] = std::move(e);
}

bool KvStore::del(std::string_view ns, std::string_view key) {
  std::string k = fullKey(ns, key);
  Shard& s = shardFor(k);
  std::lock_guard lock(s.mu);
  return s.map.erase(k) > 0;
}

int64_t KvStore::incr(std::string_view ns, std::string_view key, int64_t delta) {
  std::string k = fullKey(ns, key);
  Shard& s = shardFor(k);
  std::lock_guard lock(s.mu);
  Entry& e = s.map[k];
  if (e.expires != Clock::time_point{} && e.expires <= Clock::now()) e = Entry{};  // expired = missing
  int64_t v = 0;
  if (!e.value.empty()) {
    try {
      v = std::stoll(e.value);
    } catch (const std::exception&) {
      v = 0;  // a non-numeric value is replaced, like Redis would refuse; documented in the ABI
    }
  }
  v += delta;
  e.value = std::to_string(v);
  return v;
}

size_t KvStore::size() const {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.map.size();
  }
  return n;
}

size_t KvStore::bytes() const {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    for (auto& [k, e] : s.map) n += k.size() + e.value.size();
  }
  return n;
}

}  // namespace codestats::host
