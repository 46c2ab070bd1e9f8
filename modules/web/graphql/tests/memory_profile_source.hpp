// An in-memory ProfileSource built from pulses, for the engine's tests and fuzz target:
// the aggregates are computed the way §1.7/§9.3 define them (local dates and hours from the
// pulse's offset, machine lists without inactive machines).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "profile_source.hpp"
#include "scalars.hpp"

namespace codestats::graphql::testing {

struct MemoryPulse {
  int64_t sentAtMs = 0;  // UTC
  int tzOffset = 0;      // minutes east of UTC
  std::string machine;
  std::vector<std::pair<std::string, int64_t>> xps;  // language, amount
};

struct MemoryUser {
  ProfileUser user;
  std::map<std::string, bool> machines;  // name -> active
  std::vector<MemoryPulse> pulses;
};

class MemoryProfileSource : public ProfileSource {
 public:
  void add(MemoryUser user) { users_[user.user.username] = std::move(user); }
  int calls = 0;  // data calls made (findUser not counted)

  std::optional<ProfileUser> findUser(std::string_view username) override {
    auto it = users_.find(std::string(username));
    if (it == users_.end()) return std::nullopt;
    return it->second.user;
  }
  std::vector<NamedXp> languages(const ProfileUser& u) override { return perLanguage(u, INT64_MIN); }
  std::vector<NamedXp> languagesSince(const ProfileUser& u, int64_t sinceMs) override {
    return perLanguage(u, sinceMs);
  }
  std::vector<NamedXp> machines(const ProfileUser& u) override { return perMachine(u, INT64_MIN); }
  std::vector<NamedXp> machinesSince(const ProfileUser& u, int64_t sinceMs) override { return perMachine(u, sinceMs); }

  std::vector<DayXp> dates(const ProfileUser& u) override {
    ++calls;
    std::map<Yyyymmdd, int64_t> sums;
    for (const MemoryPulse& p : pulsesOf(u))
      for (const auto& [language, xp] : p.xps) sums[localDay(p)] += xp;
    std::vector<DayXp> out;
    for (const auto& [day, xp] : sums) out.push_back({day, xp});
    return out;
  }

  std::vector<DayLanguageXp> dayLanguageXps(const ProfileUser& u, Yyyymmdd sinceDay) override {
    ++calls;
    std::map<std::pair<Yyyymmdd, std::string>, int64_t> sums;
    for (const MemoryPulse& p : pulsesOf(u))
      if (localDay(p) >= sinceDay)
        for (const auto& [language, xp] : p.xps) sums[{localDay(p), language}] += xp;
    std::vector<DayLanguageXp> out;
    // Reverse order on purpose: the executor must not depend on the source's order.
    for (auto it = sums.rbegin(); it != sums.rend(); ++it)
      out.push_back({it->first.first, it->first.second, it->second});
    return out;
  }

  std::vector<HourXp> hours(const ProfileUser& u) override {
    ++calls;
    std::map<int, int64_t> sums;
    for (const MemoryPulse& p : pulsesOf(u))
      for (const auto& [language, xp] : p.xps) sums[static_cast<int>(localMs(p) / 3'600'000 % 24)] += xp;
    std::vector<HourXp> out;
    for (const auto& [hour, xp] : sums) out.push_back({hour, xp});
    return out;
  }

 private:
  static int64_t localMs(const MemoryPulse& p) { return p.sentAtMs + int64_t{p.tzOffset} * 60'000; }
  static Yyyymmdd localDay(const MemoryPulse& p) { return dateFromDays(localMs(p) / 86'400'000); }

  const std::vector<MemoryPulse>& pulsesOf(const ProfileUser& u) const { return users_.at(u.username).pulses; }

  std::vector<NamedXp> perLanguage(const ProfileUser& u, int64_t sinceMs) {
    ++calls;
    std::map<std::string, int64_t> sums;
    for (const MemoryPulse& p : pulsesOf(u))
      if (p.sentAtMs >= sinceMs)
        for (const auto& [language, xp] : p.xps) sums[language] += xp;
    return toList(sums);
  }

  std::vector<NamedXp> perMachine(const ProfileUser& u, int64_t sinceMs) {
    ++calls;
    const MemoryUser& user = users_.at(u.username);
    std::map<std::string, int64_t> sums;
    for (const MemoryPulse& p : user.pulses)
      if (p.sentAtMs >= sinceMs && user.machines.at(p.machine))
        for (const auto& [language, xp] : p.xps) sums[p.machine] += xp;
    return toList(sums);
  }

  static std::vector<NamedXp> toList(const std::map<std::string, int64_t>& sums) {
    std::vector<NamedXp> out;
    for (const auto& [name, xp] : sums) out.push_back({name, xp});
    return out;
  }

  std::map<std::string, MemoryUser> users_;
};

}  // namespace codestats::graphql::testing
