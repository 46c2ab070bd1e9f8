#include "profile_json.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <codestats/json.hpp>

#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace codestats::web {
namespace {

void appendXpMap(std::string& out, const std::vector<RecentXp>& items) {
  out += '{';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += jsonString(items[i].name);
    out += ":{\"xps\":" + std::to_string(items[i].xp) + ",\"new_xps\":" + std::to_string(items[i].newXp) + '}';
  }
  out += '}';
}

std::vector<RecentXp> xpMap(const Poco::JSON::Object::Ptr& o) {
  std::vector<RecentXp> out;
  if (!o) return out;
  for (const auto& [name, v] : *o) {
    auto entry = v.extract<Poco::JSON::Object::Ptr>();
    out.push_back({name, entry->getValue<int64_t>("xps"), entry->optValue<int64_t>("new_xps", 0)});
  }
  return out;
}

}  // namespace

std::string apiUserJson(const ProfileData& p) {
  std::string out;
  out.reserve(256 + p.dates.size() * 20);
  out += "{\"dates\":{";
  for (size_t i = 0; i < p.dates.size(); ++i) {
    if (i) out += ',';
    out += '"' + isoDate(p.dates[i].first) + "\":" + std::to_string(p.dates[i].second);
  }
  out += "},\"languages\":";
  appendXpMap(out, p.languages);
  out += ",\"machines\":";
  appendXpMap(out, p.machines);
  out += ",\"new_xp\":" + std::to_string(p.newXp) + ",\"total_xp\":" + std::to_string(p.totalXp) +
         ",\"user\":" + jsonString(p.username) + '}';
  return out;
}

ProfileData profileFromCacheJson(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    ProfileData p;
    p.username = root->getValue<std::string>("user");
    p.userId = root->getValue<int64_t>("user_id");
    p.isPrivate = root->optValue<bool>("private", false);
    p.avatar = root->optValue<bool>("avatar", false);
    p.totalXp = root->getValue<int64_t>("total_xp");
    p.newXp = root->optValue<int64_t>("new_xp", 0);
    p.languages = xpMap(root->getObject("languages"));
    p.machines = xpMap(root->getObject("machines"));
    if (auto dates = root->getObject("dates"))
      for (const auto& [k, v] : *dates)
        if (auto d = parseIsoDate(k)) p.dates.emplace_back(*d, v.convert<int64_t>());
    if (auto hours = root->getObject("hours"))
      for (const auto& [k, v] : *hours) p.hours.emplace_back(std::stoi(k), v.convert<int64_t>());
    if (root->has("day_language_since") && !root->isNull("day_language_since")) {
      p.dayLanguageSince = parseIsoDate(root->getValue<std::string>("day_language_since"));
      if (auto rows = root->getArray("day_language_xps"))
        for (size_t i = 0; i < rows->size(); ++i) {
          auto r = rows->getObject(static_cast<unsigned>(i));
          if (auto d = parseIsoDate(r->getValue<std::string>("date")))
            p.dayLanguages.push_back({*d, r->getValue<std::string>("language"), r->getValue<int64_t>("xp")});
        }
    }
    if (root->has("registered") && !root->isNull("registered")) {
      // "2016-05-30T12:34:56Z"
      std::string s = root->getValue<std::string>("registered");
      std::tm tm{};
      if (s.size() >= 19 && std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        p.registeredMs = static_cast<int64_t>(timegm(&tm)) * 1000;
      }
    }
    p.stamp = root->optValue<std::string>("stamp", "");
    normalise(p);
    return p;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("cache.v1 profile answer is malformed: " + e.displayText());
  } catch (const std::logic_error& e) {  // std::stoi on an hour key
    throw std::runtime_error(std::string("cache.v1 profile answer is malformed: ") + e.what());
  }
}

}  // namespace codestats::web
