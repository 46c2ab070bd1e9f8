#include "events.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cctype>
#include <cstdio>
#include <stdexcept>

#include "calendar.hpp"

namespace codestats::cache {
namespace {

Poco::JSON::Object::Ptr object(std::string_view json) {
  try {
    Poco::Dynamic::Var v = Poco::JSON::Parser().parse(std::string(json));
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) return nullptr;
    return v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  }
}

std::optional<int64_t> integer(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (!o->has(key) || o->isNull(key)) return std::nullopt;
  Poco::Dynamic::Var v = o->get(key);
  if (!v.isNumeric()) return std::nullopt;
  return v.convert<int64_t>();
}

// "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)": the wall-clock digits as Unix ms, and the offset.
std::optional<std::pair<int64_t, int64_t>> rfc3339(const std::string& s) {
  int y, mo, d, h, mi, sec, consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6)
    return std::nullopt;
  size_t i = static_cast<size_t>(consumed);
  int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    int64_t scale = 100;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, scale /= 10)
      frac += (s[i] - '0') * scale;
  }
  int64_t offsetMs = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offsetMs = (s[i] == '-' ? -1 : 1) * (oh * kMsPerHour + om * kMsPerMinute);
  } else if (i >= s.size() || (s[i] != 'Z' && s[i] != 'z')) {
    return std::nullopt;
  }
  int64_t wall =
      epochDayOf(y * 10000 + mo * 100 + d) * kMsPerDay + h * kMsPerHour + mi * kMsPerMinute + sec * 1000 + frac;
  return std::make_pair(wall, offsetMs);
}

// docs/events.md says Unix milliseconds; ingest 0.2 sends RFC 3339 text. Both are accepted:
// `wallClock` reads the local digits (sent_at_local), otherwise the UTC instant (sent_at).
std::optional<int64_t> instant(const Poco::JSON::Object::Ptr& o, const std::string& key, bool wallClock) {
  if (!o->has(key) || o->isNull(key)) return std::nullopt;
  Poco::Dynamic::Var v = o->get(key);
  if (v.isNumeric()) return v.convert<int64_t>();
  if (!v.isString()) return std::nullopt;
  auto t = rfc3339(v.convert<std::string>());
  if (!t) return std::nullopt;
  return wallClock ? t->first : t->first - t->second;
}

}  // namespace

std::optional<PulseCreated> parsePulseCreated(std::string_view json) {
  auto o = object(json);
  if (!o) return std::nullopt;
  PulseCreated e;
  auto id = integer(o, "pulse_id"), user = integer(o, "user_id"), machine = integer(o, "machine_id");
  auto sent = instant(o, "sent_at", false), local = instant(o, "sent_at_local", true);
  if (!id || !user || !machine || !sent || !local) return std::nullopt;
  e.pulseId = *id;
  e.userId = *user;
  e.machineId = *machine;
  e.sentAt = *sent;
  e.sentAtLocal = *local;
  e.username = o->optValue<std::string>("username", "");
  e.machineName = o->optValue<std::string>("machine_name", "");
  auto xps = o->getArray("xps");
  if (!xps) return std::nullopt;
  for (size_t i = 0; i < xps->size(); ++i) {
    auto x = xps->getObject(static_cast<unsigned>(i));
    if (!x || !x->has("language")) return std::nullopt;
    auto amount = integer(x, "amount");
    if (!amount) return std::nullopt;
    e.xps.push_back({x->getValue<std::string>("language"), *amount});
  }
  return e;
}

std::optional<UserEvent> parseUserEvent(std::string_view json) {
  auto o = object(json);
  if (!o) return std::nullopt;
  auto id = integer(o, "user_id");
  if (!id) return std::nullopt;
  return UserEvent{*id};
}

std::optional<MachineEvent> parseMachineEvent(std::string_view json) {
  auto o = object(json);
  if (!o) return std::nullopt;
  auto id = integer(o, "machine_id"), user = integer(o, "user_id");
  if (!id || !user) return std::nullopt;
  return MachineEvent{*id, *user};
}

std::optional<std::string> parseAliasedLanguage(std::string_view json) {
  auto o = object(json);
  if (!o || !o->has("language") || o->get("language").type() != typeid(std::string)) return std::nullopt;
  return o->getValue<std::string>("language");
}

ProfileRequest parseProfileRequest(std::string_view json) {
  auto o = object(json);
  if (!o) throw std::invalid_argument("invalid request: expected a JSON object");
  if (!o->has("username") || o->get("username").type() != typeid(std::string))
    throw std::invalid_argument("invalid request: \"username\" must be a string");
  ProfileRequest r;
  r.username = o->getValue<std::string>("username");
  if (o->has("viewer") && !o->isNull("viewer")) {
    if (o->get("viewer").type() != typeid(std::string))
      throw std::invalid_argument("invalid request: \"viewer\" must be a string or null");
    r.viewer = o->getValue<std::string>("viewer");
  }
  if (o->has("case_insensitive")) {
    if (!o->get("case_insensitive").isBoolean())
      throw std::invalid_argument("invalid request: \"case_insensitive\" must be true or false");
    r.caseInsensitive = o->getValue<bool>("case_insensitive");
  }
  if (o->has("if_stamp") && !o->isNull("if_stamp")) {
    if (o->get("if_stamp").type() != typeid(std::string))
      throw std::invalid_argument("invalid request: \"if_stamp\" must be a string or null");
    r.ifStamp = o->getValue<std::string>("if_stamp");
  }
  return r;
}

}  // namespace codestats::cache
