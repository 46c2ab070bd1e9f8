#include "graphql_source.hpp"

namespace codestats::web {
namespace {

std::vector<graphql::NamedXp> named(const std::vector<RecentXp>& items) {
  std::vector<graphql::NamedXp> out;
  out.reserve(items.size());
  for (const auto& i : items) out.push_back({i.name, i.xp});
  return out;
}

}  // namespace

std::optional<graphql::ProfileUser> StoreProfileSource::findUser(std::string_view username) {
  // The store applies the privacy rule with the viewer; the executor applies it again.
  auto p = store_.load(std::string(username), false, viewer_, nowMs_);
  if (!p) return std::nullopt;
  graphql::ProfileUser u{p->userId, p->username, p->isPrivate, p->registeredMs};
  loaded_[p->userId] = std::move(*p);
  return u;
}

const ProfileData& StoreProfileSource::data(const graphql::ProfileUser& user) {
  auto it = loaded_.find(user.id);
  if (it == loaded_.end()) throw graphql::ProfileSourceError("User not found or no access to profile.");
  return it->second;
}

std::vector<graphql::NamedXp> StoreProfileSource::languages(const graphql::ProfileUser& user) {
  return named(data(user).languages);
}

std::vector<graphql::NamedXp> StoreProfileSource::languagesSince(const graphql::ProfileUser& user, int64_t sinceMs) {
  return named(store_.languagesSince(user.id, sinceMs));
}

std::vector<graphql::NamedXp> StoreProfileSource::machines(const graphql::ProfileUser& user) {
  return named(data(user).machines);
}

std::vector<graphql::NamedXp> StoreProfileSource::machinesSince(const graphql::ProfileUser& user, int64_t sinceMs) {
  return named(store_.machinesSince(user.id, sinceMs));
}

std::vector<graphql::DayXp> StoreProfileSource::dates(const graphql::ProfileUser& user) {
  std::vector<graphql::DayXp> out;
  for (const auto& [day, xp] : data(user).dates) out.push_back({day, xp});
  return out;
}

std::vector<graphql::DayLanguageXp> StoreProfileSource::dayLanguageXps(const graphql::ProfileUser& user,
                                                                       graphql::Yyyymmdd sinceDay) {
  const ProfileData& p = data(user);
  std::vector<graphql::DayLanguageXp> out;
  if (p.dayLanguageSince && sinceDay >= *p.dayLanguageSince) {
    // The last 14 days are at hand (cache.v1 or the page's own read): no second query.
    for (const auto& d : p.dayLanguages)
      if (d.day >= sinceDay) out.push_back({d.day, d.language, d.xp});
    return out;
  }
  for (const auto& d : store_.dayLanguagesSince(user.id, sinceDay)) out.push_back({d.day, d.language, d.xp});
  return out;
}

std::vector<graphql::HourXp> StoreProfileSource::hours(const graphql::ProfileUser& user) {
  std::vector<graphql::HourXp> out;
  for (const auto& [hour, xp] : data(user).hours) out.push_back({hour, xp});
  return out;
}

int64_t StoreProfileSource::totalXp(const graphql::ProfileUser& user) { return data(user).totalXp; }

}  // namespace codestats::web
