#include "schema.hpp"

#include <array>

namespace codestats::graphql::schema {
namespace {

constexpr ArgumentDef kProfileArgs[] = {{"username", "String"}};
constexpr ArgumentDef kSinceDatetime[] = {{"since", "Datetime"}};
constexpr ArgumentDef kSinceDate[] = {{"since", "Date"}};
constexpr ArgumentDef kSinceDateRequired[] = {{"since", "Date!"}};

constexpr FieldDef kQueryFields[] = {
    {"profile", "Profile", kProfileArgs, "Get profile by username"},
};

constexpr FieldDef kProfileFields[] = {
    {"registered", "Datetime", {}, "When the user registered (RFC 3339, UTC)"},
    {"totalXp", "Int", {}, "Total XP of all languages"},
    {"languages", "[ProfileLanguage]", kSinceDatetime, "XP per language, all time or since an instant"},
    {"machines", "[ProfileMachine]", kSinceDatetime, "XP per active machine, all time or since an instant"},
    {"dates", "[ProfileDate]", kSinceDate, "XP per local date"},
    {"dayLanguageXps", "[ProfileDaylanguage]", kSinceDateRequired, "XP per local date and language since a date"},
    {"dayOfWeekXps", "[ProfileDowXp]", kSinceDate, "XP per ISO weekday (1 = Monday)"},
    {"dayOfYearXps", "ProfileDayOfYearXp", {}, "XP per day of the year, all years summed (\"1\"..\"366\")"},
    {"hourOfDayXps", "ProfileHourOfDayXp", {}, "XP per local hour of day (\"0\"..\"23\")"},
};

constexpr FieldDef kNameXpFields[] = {{"name", "String", {}, ""}, {"xp", "Int", {}, ""}};
constexpr FieldDef kDateFields[] = {{"date", "String", {}, ""}, {"xp", "Int", {}, ""}};
constexpr FieldDef kDayLanguageFields[] = {{"date", "Date", {}, ""}, {"language", "String", {}, ""}, {"xp", "Int", {}, ""}};
constexpr FieldDef kDowFields[] = {{"day", "Int", {}, ""}, {"xp", "Int", {}, ""}};

using K = TypeDef::Kind;
constexpr TypeDef kTypes[] = {
    {kQueryType, K::Object, kQueryFields, ""},
    {"Profile", K::Object, kProfileFields, "User profile public data"},
    {"ProfileLanguage", K::Object, kNameXpFields, ""},
    {"ProfileMachine", K::Object, kNameXpFields, ""},
    {"ProfileDate", K::Object, kDateFields, ""},
    {"ProfileDaylanguage", K::Object, kDayLanguageFields, ""},
    {"ProfileDowXp", K::Object, kDowFields, ""},
    {"String", K::Scalar, {}, ""},
    {"Int", K::Scalar, {}, ""},
    {"Float", K::Scalar, {}, ""},
    {"Boolean", K::Scalar, {}, ""},
    {"ID", K::Scalar, {}, ""},
    {"Datetime", K::Scalar, {}, "RFC 3339 date and time with offset"},
    {"NaiveDatetime", K::Scalar, {}, "ISO 8601 date and time without offset"},
    {"Date", K::Scalar, {}, "ISO 8601 date YYYY-MM-DD"},
    {"ProfileDayOfYearXp", K::Scalar, {}, "JSON object {\"1\": xp, ..., \"366\": xp}"},
    {"ProfileHourOfDayXp", K::Scalar, {}, "JSON object {\"0\": xp, ..., \"23\": xp}"},
};

}  // namespace

const TypeDef* findType(std::string_view name) {
  for (const TypeDef& t : kTypes)
    if (t.name == name) return &t;
  return nullptr;
}

std::string internalName(std::string_view name) {
  const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto lowerOrDigit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (upper(c) && i > 0 && name[i - 1] != '_' &&
        (lowerOrDigit(name[i - 1]) || (i + 1 < name.size() && lowerOrDigit(name[i + 1]))))
      out += '_';
    out += upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

const FieldDef* findField(const TypeDef& type, std::string_view name) {
  if (name.starts_with("__")) return nullptr;  // introspection names are never converted
  for (const FieldDef& f : type.fields)
    if (f.name == name) return &f;
  const std::string internal = internalName(name);
  for (const FieldDef& f : type.fields)
    if (internalName(f.name) == internal) return &f;
  return nullptr;
}

const ArgumentDef* findArgument(const FieldDef& field, std::string_view name) {
  const std::string internal = internalName(name);
  for (const ArgumentDef& a : field.arguments)
    if (internalName(a.name) == internal) return &a;
  return nullptr;
}

std::string_view canonicalField(std::string_view type, std::string_view name) {
  const TypeDef* t = findType(type);
  const FieldDef* f = t ? findField(*t, name) : nullptr;
  return f ? f->name : name;
}

std::span<const TypeDef> allTypes() { return kTypes; }

TypeRef typeRef(std::string_view sdl) {
  TypeRef t;
  while (!sdl.empty() && (sdl.front() == '[')) {
    t.wrappers += sdl.back() == '!' ? "!L" : "L";
    if (sdl.back() == '!') sdl.remove_suffix(1);
    sdl = sdl.substr(1, sdl.size() - 2);
  }
  if (!sdl.empty() && sdl.back() == '!') {
    t.wrappers += '!';
    sdl.remove_suffix(1);
  }
  t.named = std::string(sdl);
  return t;
}

bool isInputType(std::string_view named) {
  const TypeDef* t = findType(named);
  return t && t->kind == TypeDef::Kind::Scalar;
}

bool isLeafType(std::string_view named) { return isInputType(named); }

}  // namespace codestats::graphql::schema
