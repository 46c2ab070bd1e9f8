// A per-connection cache of prepared statements keyed by SQL text, least recently used
// first out. Bounded because a module that builds SQL dynamically (IN lists, ad-hoc
// filters) would otherwise grow it, and the server-side statements, without limit.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace codestats::host::db {

template <class Entry>
class StatementCache {
 public:
  explicit StatementCache(size_t capacity) : capacity_(capacity) {}
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The cached entry for `sql`, marked most recently used; nullptr on a miss.
  Entry* find(std::string_view sql) {
    auto it = index_.find(sql);
    if (it == index_.end()) return nullptr;
    items_.splice(items_.begin(), items_, it->second);
    return &it->second->second;
  }

  Entry& insert(std::string sql, Entry entry) {
    items_.emplace_front(std::move(sql), std::move(entry));
    // The key views the string inside the list node, which never moves.
    index_.emplace(std::string_view(items_.front().first), items_.begin());
    return items_.front().second;
  }

  // Removes and returns the entry for `sql`, if cached.
  std::optional<Entry> take(std::string_view sql) {
    auto it = index_.find(sql);
    if (it == index_.end()) return std::nullopt;
    auto node = it->second;
    index_.erase(it);
    std::optional<Entry> out(std::move(node->second));
    items_.erase(node);
    return out;
  }

  bool overCapacity() const { return items_.size() > capacity_; }

  // Removes and returns the least recently used entry; the cache must not be empty.
  Entry takeOldest() {
    auto node = std::prev(items_.end());
    index_.erase(std::string_view(node->first));
    Entry out(std::move(node->second));
    items_.erase(node);
    return out;
  }

  size_t size() const { return items_.size(); }
  void clear() {
    index_.clear();
    items_.clear();
  }

 private:
  using Item = std::pair<std::string, Entry>;
  size_t capacity_;
  std::list<Item> items_;  // most recently used first
  std::unordered_map<std::string_view, typename std::list<Item>::iterator> index_;
};

}  // namespace codestats::host::db
