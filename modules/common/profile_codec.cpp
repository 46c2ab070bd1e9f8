#include "common/profile_codec.hpp"

#include <codestats/json.hpp>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <stdexcept>

#include "common/timestamp.hpp"

namespace codestats::common {
namespace {

namespace rj = rapidjson;

[[noreturn]] void malformed(const std::string& why) {
  throw std::runtime_error("cache.v1 profile answer is malformed: " + why);
}

const rj::Value* member(const rj::Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it == object.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string text(const rj::Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

int64_t integer(const rj::Value& v, const std::string& what) {
  if (!v.IsInt64()) malformed(what + " is not an integer");
  return v.GetInt64();
}

std::string string(const rj::Value& v, const std::string& what) {
  if (!v.IsString()) malformed(what + " is not a string");
  return text(v);
}

const rj::Value& required(const rj::Value& object, const char* key) {
  const rj::Value* v = member(object, key);
  if (!v) malformed(std::string("no \"") + key + "\"");
  return *v;
}

const rj::Value* objectMember(const rj::Value& object, const char* key) {
  const rj::Value* v = member(object, key);
  if (v && !v->IsObject()) malformed(std::string("\"") + key + "\" is not an object");
  return v;
}

bool flag(const rj::Value& object, const char* key) {
  const rj::Value* v = member(object, key);
  if (!v) return false;
  if (!v->IsBool()) malformed(std::string("\"") + key + "\" is not a boolean");
  return v->GetBool();
}

std::vector<NamedXp> xpMap(const rj::Value& root, const char* key) {
  std::vector<NamedXp> out;
  const rj::Value* o = objectMember(root, key);
  if (!o) return out;
  out.reserve(o->MemberCount());
  for (const auto& m : o->GetObject()) {
    if (!m.value.IsObject()) malformed(std::string("an entry of \"") + key + "\" is not an object");
    const rj::Value* newXps = member(m.value, "new_xps");
    out.push_back({text(m.name), integer(required(m.value, "xps"), "xps"), newXps ? integer(*newXps, "new_xps") : 0});
  }
  return out;
}

int hourKey(const rj::Value& name) {
  std::string_view k(name.GetString(), name.GetStringLength());
  if (k.empty() || k.size() > 2) malformed("hour \"" + std::string(k) + "\"");
  int h = 0;
  for (char c : k) {
    if (c < '0' || c > '9') malformed("hour \"" + std::string(k) + "\"");
    h = h * 10 + (c - '0');
  }
  if (h > 23) malformed("hour \"" + std::string(k) + "\"");
  return h;
}

}  // namespace

void appendNamedXps(std::string& out, const std::vector<NamedXp>& items) {
  out += '{';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += jsonString(items[i].name);
    out += ":{\"xps\":";
    out += std::to_string(items[i].xp);
    out += ",\"new_xps\":";
    out += std::to_string(items[i].newXp);
    out += '}';
  }
  out += '}';
}

std::string encodeProfile(const Profile& p) {
  std::string out;
  out.reserve(320 + p.dates.size() * 22 + (p.languages.size() + p.machines.size()) * 48 + p.dayLanguages.size() * 64);
  out += "{\"user\":";
  out += jsonString(p.username);
  out += ",\"user_id\":";
  out += std::to_string(p.userId);
  out += p.isPrivate ? ",\"private\":true" : ",\"private\":false";
  out += ",\"registered\":";
  out += jsonString(formatUtc(p.registeredMs));
  out += p.avatar ? ",\"avatar\":true" : ",\"avatar\":false";
  out += ",\"total_xp\":";
  out += std::to_string(p.totalXp);
  out += ",\"new_xp\":";
  out += std::to_string(p.newXp);
  out += ",\"languages\":";
  appendNamedXps(out, p.languages);
  out += ",\"machines\":";
  appendNamedXps(out, p.machines);
  out += ",\"dates\":{";
  for (size_t i = 0; i < p.dates.size(); ++i) {
    if (i) out += ',';
    out += '"';
    out += isoDate(p.dates[i].first);
    out += "\":";
    out += std::to_string(p.dates[i].second);
  }
  out += "},\"hours\":{";
  for (size_t i = 0; i < p.hours.size(); ++i) {
    if (i) out += ',';
    out += '"';
    out += std::to_string(p.hours[i].first);
    out += "\":";
    out += std::to_string(p.hours[i].second);
  }
  out += "},\"last_programmed\":";
  out += p.dates.empty() ? "null" : jsonString(isoDate(p.dates.back().first));
  out += ",\"last_pulse_at\":";
  out += p.lastPulseAtMs ? jsonString(formatUtc(p.lastPulseAtMs)) : "null";
  out += ",\"day_language_since\":";
  out += p.dayLanguageSince ? jsonString(isoDate(*p.dayLanguageSince)) : "null";
  out += ",\"day_language_xps\":[";
  for (size_t i = 0; i < p.dayLanguages.size(); ++i) {
    const DayLanguageXp& d = p.dayLanguages[i];
    if (i) out += ',';
    out += "{\"date\":\"";
    out += isoDate(d.day);
    out += "\",\"language\":";
    out += jsonString(d.language);
    out += ",\"xp\":";
    out += std::to_string(d.xp);
    out += '}';
  }
  out += "],\"stamp\":";
  out += jsonString(p.stamp);
  out += '}';
  return out;
}

Profile decodeProfile(std::string_view json) {
  rj::Document doc;
  // Iterative: the depth of a malformed answer cannot exhaust the stack.
  doc.Parse<rj::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError())
    malformed(std::string(rj::GetParseError_En(doc.GetParseError())) + " at byte " +
              std::to_string(doc.GetErrorOffset()));
  if (!doc.IsObject()) malformed("not an object");

  Profile p;
  p.username = string(required(doc, "user"), "user");
  p.userId = integer(required(doc, "user_id"), "user_id");
  p.totalXp = integer(required(doc, "total_xp"), "total_xp");
  p.isPrivate = flag(doc, "private");
  p.avatar = flag(doc, "avatar");
  if (const rj::Value* v = member(doc, "new_xp")) p.newXp = integer(*v, "new_xp");
  if (const rj::Value* v = member(doc, "registered")) {
    auto us = parseCodedAt(string(*v, "registered"));
    if (!us) malformed("registered is not an instant");
    p.registeredMs = *us / 1000;
  }
  if (const rj::Value* v = member(doc, "last_pulse_at")) {
    auto us = parseCodedAt(string(*v, "last_pulse_at"));
    if (!us) malformed("last_pulse_at is not an instant");
    p.lastPulseAtMs = *us / 1000;
  }
  p.languages = xpMap(doc, "languages");
  p.machines = xpMap(doc, "machines");
  if (const rj::Value* dates = objectMember(doc, "dates")) {
    p.dates.reserve(dates->MemberCount());
    for (const auto& m : dates->GetObject())
      if (auto d = parseIsoDate(std::string_view(m.name.GetString(), m.name.GetStringLength())))
        p.dates.emplace_back(*d, integer(m.value, "a date's XP"));
  }
  if (const rj::Value* hours = objectMember(doc, "hours"))
    for (const auto& m : hours->GetObject()) p.hours.emplace_back(hourKey(m.name), integer(m.value, "an hour's XP"));
  if (const rj::Value* since = member(doc, "day_language_since"))
    p.dayLanguageSince = parseIsoDate(string(*since, "day_language_since"));
  if (const rj::Value* rows = member(doc, "day_language_xps")) {
    if (!rows->IsArray()) malformed("day_language_xps is not an array");
    for (const auto& r : rows->GetArray()) {
      if (!r.IsObject()) malformed("a day_language_xps row is not an object");
      auto d = parseIsoDate(string(required(r, "date"), "date"));
      if (d)
        p.dayLanguages.push_back({*d, string(required(r, "language"), "language"), integer(required(r, "xp"), "xp")});
    }
  }
  if (const rj::Value* v = member(doc, "stamp")) p.stamp = string(*v, "stamp");
  return p;
}

}  // namespace codestats::common
