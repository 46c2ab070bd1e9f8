#include "directory.hpp"

#include <algorithm>
#include <mutex>

#include "common/ascii.hpp"

namespace codestats::cache {

void Directory::putUser(UserInfo u) {
  std::unique_lock lock(mutex_);
  auto old = users_.find(u.id);
  if (old != users_.end()) {
    if (old->second == u) return;  // a reload of an unchanged user keeps the stamps valid
    byLowerName_.erase(common::lowerAscii(old->second.username));
  }
  changed();
  byLowerName_[common::lowerAscii(u.username)] = u.id;
  users_[u.id] = std::move(u);
}

void Directory::removeUser(int64_t id) {
  std::unique_lock lock(mutex_);
  auto it = users_.find(id);
  if (it == users_.end()) return;
  auto byName = byLowerName_.find(common::lowerAscii(it->second.username));
  if (byName != byLowerName_.end() && byName->second == id) byLowerName_.erase(byName);
  users_.erase(it);
  changed();
}

std::optional<UserInfo> Directory::user(int64_t id) const {
  std::shared_lock lock(mutex_);
  auto it = users_.find(id);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

std::optional<UserInfo> Directory::findUser(std::string_view username, bool caseInsensitive) const {
  std::shared_lock lock(mutex_);
  auto it = byLowerName_.find(common::lowerAscii(username));
  if (it == byLowerName_.end()) return std::nullopt;
  const UserInfo& u = users_.at(it->second);
  if (!caseInsensitive && u.username != username) return std::nullopt;
  return u;
}

std::vector<int64_t> Directory::userIds() const {
  std::shared_lock lock(mutex_);
  std::vector<int64_t> ids;
  ids.reserve(users_.size());
  for (const auto& [id, u] : users_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<UserInfo> Directory::users() const {
  std::shared_lock lock(mutex_);
  std::vector<UserInfo> out;
  out.reserve(users_.size());
  for (const auto& [id, u] : users_) out.push_back(u);
  return out;
}

size_t Directory::userCount() const {
  std::shared_lock lock(mutex_);
  return users_.size();
}

void Directory::putLanguage(int64_t id, std::string name) {
  std::unique_lock lock(mutex_);
  if (auto it = languages_.find(id); it != languages_.end() && it->second == name) return;
  changed();
  languageByLower_[common::lowerAscii(name)] = id;
  languages_[id] = std::move(name);
}

std::optional<std::string> Directory::languageName(int64_t id) const {
  std::shared_lock lock(mutex_);
  auto it = languages_.find(id);
  if (it == languages_.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> Directory::languageId(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto it = languageByLower_.find(common::lowerAscii(name));
  if (it == languageByLower_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<int64_t, std::string>> Directory::languages() const {
  std::shared_lock lock(mutex_);
  return {languages_.begin(), languages_.end()};
}

void Directory::clearLanguages() {
  std::unique_lock lock(mutex_);
  languages_.clear();
  languageByLower_.clear();
  changed();
}

}  // namespace codestats::cache
