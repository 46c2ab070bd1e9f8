#include "rendered_profiles.hpp"

#include <algorithm>

namespace codestats::web {

RenderedProfiles::RenderedProfiles(size_t maxEntries, size_t maxBytes)
    : maxEntriesPerShard_(std::max<size_t>(1, maxEntries / kShards)), maxBytesPerShard_(maxBytes / kShards) {}

std::optional<RenderedProfiles::Entry> RenderedProfiles::get(const std::string& key) const {
  Shard& s = shard(key);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(key);
  if (it == s.entries.end()) return std::nullopt;
  return it->second;
}

void RenderedProfiles::put(const std::string& key, std::string stamp, std::string body) {
  Entry e{std::move(stamp), std::make_shared<const std::string>(std::move(body))};
  size_t c = cost(key, e);
  if (c > maxBytesPerShard_) return;  // would evict everything else; not worth keeping
  Shard& s = shard(key);
  std::lock_guard lock(s.mutex);
  if (auto it = s.entries.find(key); it != s.entries.end()) {
    s.bytes -= cost(key, it->second);
    s.entries.erase(it);
    s.order.erase(key);
  }
  while (!s.entries.empty() && (s.entries.size() >= maxEntriesPerShard_ || s.bytes + c > maxBytesPerShard_))
    evictOne(s);
  s.bytes += c;
  s.order[key] = s.next++;
  s.entries.emplace(key, std::move(e));
}

void RenderedProfiles::erase(const std::string& key) {
  Shard& s = shard(key);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(key);
  if (it == s.entries.end()) return;
  s.bytes -= cost(key, it->second);
  s.entries.erase(it);
  s.order.erase(key);
}

// Linear in the shard's size, but only on inserts past the bound (rare: one per new name).
void RenderedProfiles::evictOne(Shard& s) {
  auto oldest = std::min_element(s.order.begin(), s.order.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
  auto it = s.entries.find(oldest->first);
  s.bytes -= cost(it->first, it->second);
  s.entries.erase(it);
  s.order.erase(oldest);
}

size_t RenderedProfiles::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.entries.size();
  }
  return n;
}

size_t RenderedProfiles::bytes() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.bytes;
  }
  return n;
}

}  // namespace codestats::web
