#include "profile_json.hpp"

#include <codestats/json.hpp>

#include "common/profile_codec.hpp"

namespace codestats::web {

std::string apiUserJson(const ProfileData& p) {
  std::string out;
  out.reserve(256 + p.dates.size() * 20);
  out += "{\"dates\":{";
  for (size_t i = 0; i < p.dates.size(); ++i) {
    if (i) out += ',';
    out += '"' + isoDate(p.dates[i].first) + "\":" + std::to_string(p.dates[i].second);
  }
  out += "},\"languages\":";
  common::appendNamedXps(out, p.languages);
  out += ",\"machines\":";
  common::appendNamedXps(out, p.machines);
  out += ",\"new_xp\":" + std::to_string(p.newXp) + ",\"total_xp\":" + std::to_string(p.totalXp) +
         ",\"user\":" + jsonString(p.username) + '}';
  return out;
}

}  // namespace codestats::web
