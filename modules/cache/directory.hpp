// Who the users are (id, username, privacy, registration) and what the languages are
// called: small, kept for every user, loaded in one query at start. Pure, no SDK.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace codestats::cache {

struct UserInfo {
  int64_t id = 0;
  std::string username;
  bool isPrivate = false;
  int64_t insertedAt = 0;  // ms
  bool avatar = false;     // gravatar_email is set (the profile page shows the avatar)
  bool operator==(const UserInfo&) const = default;
};

class Directory {
 public:
  void putUser(UserInfo u);
  void removeUser(int64_t id);
  std::optional<UserInfo> user(int64_t id) const;
  // Exact match, or ASCII case-insensitive (users.username is unique by lower()).
  std::optional<UserInfo> findUser(std::string_view username, bool caseInsensitive) const;
  std::vector<int64_t> userIds() const;  // sorted
  std::vector<UserInfo> users() const;
  size_t userCount() const;

  void putLanguage(int64_t id, std::string name);
  std::optional<std::string> languageName(int64_t id) const;
  std::optional<int64_t> languageId(std::string_view name) const;  // by lower-case name
  std::vector<std::pair<int64_t, std::string>> languages() const;
  void clearLanguages();

  // Grows whenever a user's info or a language name changes: part of cache.v1's profile
  // stamp (read it before the data it stamps).
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  void changed() { version_.fetch_add(1, std::memory_order_acq_rel); }

  std::atomic<uint64_t> version_{1};
  mutable std::shared_mutex mutex_;
  std::unordered_map<int64_t, UserInfo> users_;
  std::unordered_map<std::string, int64_t> byLowerName_;
  std::unordered_map<int64_t, std::string> languages_;
  std::unordered_map<std::string, int64_t> languageByLower_;
};

}  // namespace codestats::cache
