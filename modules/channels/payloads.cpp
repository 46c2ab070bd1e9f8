#include "payloads.hpp"

#include <codestats/json.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace channels {

using codestats::jsonString;

std::optional<PulseEvent> parsePulseEvent(std::string_view json) {
  try {
    auto o = Poco::JSON::Parser().parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    if (!o) return std::nullopt;
    PulseEvent e;
    e.username = o->getValue<std::string>("username");
    e.isPrivate = o->optValue<bool>("private", false);
    e.machine = o->optValue<std::string>("machine_name", "");
    e.sentAt = o->optValue<std::string>("sent_at", "");
    e.sentAtLocal = o->optValue<std::string>("sent_at_local", "");
    e.clientIp = o->optValue<std::string>("client_ip", "");
    if (auto xps = o->getArray("xps")) {
      for (unsigned i = 0; i < xps->size(); ++i) {
        auto x = xps->getObject(i);
        if (!x) return std::nullopt;
        e.xps.push_back(PulseXp{x->getValue<std::string>("language"), x->getValue<int64_t>("amount")});
      }
    }
    return e;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

std::string xpsJson(const PulseEvent& e) {
  std::string out = "[";
  for (size_t i = 0; i < e.xps.size(); ++i) {
    if (i) out += ",";
    out += "{\"language\":" + jsonString(e.xps[i].language) + ",\"amount\":" + std::to_string(e.xps[i].amount) + "}";
  }
  return out + "]";
}

std::string oneDecimal(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", std::round(v * 10.0) / 10.0);
  return b;
}

}  // namespace

std::string userPulsePayload(const PulseEvent& e) {
  return "{\"xps\":" + xpsJson(e) + ",\"sent_at\":" + jsonString(e.sentAt) +
         ",\"sent_at_local\":" + jsonString(e.sentAtLocal) + ",\"machine\":" + jsonString(e.machine) + "}";
}

std::string frontpagePulsePayload(const PulseEvent& e, std::optional<std::pair<double, double>> coords) {
  std::string c = "null";
  if (coords && !e.isPrivate)
    c = "{\"lat\":" + oneDecimal(coords->first) + ",\"lon\":" + oneDecimal(coords->second) + "}";
  return "{\"xps\":" + xpsJson(e) + ",\"coords\":" + c + "}";
}

std::string xpHistoryReply(std::vector<std::pair<int64_t, int64_t>> minutes) {
  std::sort(minutes.begin(), minutes.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::string out = "{\"xp_history\":[";
  for (size_t i = 0; i < minutes.size(); ++i) {
    time_t t = static_cast<time_t>(minutes[i].first * 60);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char b[96];
    std::snprintf(b, sizeof b, "%s[[[%d,%d,%d],[%d,%d]],%lld]", i ? "," : "", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, static_cast<long long>(minutes[i].second));
    out += b;
  }
  return out + "]}";
}

}  // namespace channels
