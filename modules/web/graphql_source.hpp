// The GraphQL engine's data interface (graphql/profile_source.hpp) over ProfileStore: one
// object per request, the profile read once and kept for the request's fields.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "graphql/profile_source.hpp"
#include "profile_store.hpp"

namespace codestats::web {

class StoreProfileSource : public graphql::ProfileSource {
 public:
  StoreProfileSource(ProfileStore& store, std::optional<std::string> viewer, int64_t nowMs)
      : store_(store), viewer_(std::move(viewer)), nowMs_(nowMs) {}

  std::optional<graphql::ProfileUser> findUser(std::string_view username) override;
  std::vector<graphql::NamedXp> languages(const graphql::ProfileUser& user) override;
  std::vector<graphql::NamedXp> languagesSince(const graphql::ProfileUser& user, int64_t sinceMs) override;
  std::vector<graphql::NamedXp> machines(const graphql::ProfileUser& user) override;
  std::vector<graphql::NamedXp> machinesSince(const graphql::ProfileUser& user, int64_t sinceMs) override;
  std::vector<graphql::DayXp> dates(const graphql::ProfileUser& user) override;
  std::vector<graphql::DayLanguageXp> dayLanguageXps(const graphql::ProfileUser& user,
                                                     graphql::Yyyymmdd sinceDay) override;
  std::vector<graphql::HourXp> hours(const graphql::ProfileUser& user) override;
  int64_t totalXp(const graphql::ProfileUser& user) override;

 private:
  const ProfileData& data(const graphql::ProfileUser& user);

  ProfileStore& store_;
  std::optional<std::string> viewer_;
  int64_t nowMs_;
  std::map<int64_t, ProfileData> loaded_;  // by user id
};

}  // namespace codestats::web
