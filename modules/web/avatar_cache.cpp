#include "avatar_cache.hpp"

#include <exception>

namespace codestats::web {
namespace {

// Bookkeeping per entry (key, node, map slot), so that cached failures count too.
constexpr size_t kEntryOverhead = 256;

}  // namespace

std::shared_ptr<const Avatar> AvatarCache::get(const std::string& hash, const Fetch& fetch) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = entries_.find(hash); it != entries_.end()) {
      if (now_() < it->second.expires) {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        ++hits_;
        return it->second.avatar;
      }
      evict(hash);
    }
    auto& slot = flights_[hash];
    if (!slot) {
      slot = std::make_shared<Flight>();
      leader = true;
      ++fetches_;
    }
    flight = slot;
  }

  if (!leader) {
    std::unique_lock<std::mutex> lock(flight->mu);
    flight->done.wait(lock, [&] { return flight->result != nullptr; });
    return flight->result;
  }

  std::shared_ptr<const Avatar> result;
  try {
    result = std::make_shared<const Avatar>(fetch());
  } catch (const std::exception& e) {
    result = std::make_shared<const Avatar>(Avatar{false, {}, {}, {}, e.what()});
  } catch (...) {
    result = std::make_shared<const Avatar>(Avatar{false, {}, {}, {}, "unknown error"});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    store(hash, result);
    flights_.erase(hash);
  }
  {
    std::lock_guard<std::mutex> lock(flight->mu);
    flight->result = result;
  }
  flight->done.notify_all();
  return result;
}

void AvatarCache::store(const std::string& hash, std::shared_ptr<const Avatar> avatar) {
  size_t cost = kEntryOverhead + hash.size() + avatar->bytes.size() + avatar->contentType.size();
  if (cost > limits_.maxBytes) return;  // larger than the whole cache: served once, not kept
  while (bytes_ + cost > limits_.maxBytes && !lru_.empty()) {
    std::string victim = lru_.back();  // a copy: evict() erases the list node
    evict(victim);
  }
  lru_.push_front(hash);
  Entry e;
  e.expires = now_() + (avatar->ok ? limits_.ttl : limits_.failureTtl);
  e.cost = cost;
  e.lru = lru_.begin();
  e.avatar = std::move(avatar);
  entries_[hash] = std::move(e);
  bytes_ += cost;
}

void AvatarCache::evict(const std::string& hash) {
  auto it = entries_.find(hash);
  if (it == entries_.end()) return;
  bytes_ -= it->second.cost;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

AvatarCache::Stats AvatarCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{entries_.size(), bytes_, hits_, fetches_};
}

}  // namespace codestats::web
