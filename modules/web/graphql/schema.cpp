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
constexpr FieldDef kDayLanguageFields[] = {
    {"date", "Date", {}, ""}, {"language", "String", {}, ""}, {"xp", "Int", {}, ""}};
constexpr FieldDef kDowFields[] = {{"day", "Int", {}, ""}, {"xp", "Int", {}, ""}};

// Introspection (GraphQL spec §4.5), so GraphiQL and client tooling can read the schema.
constexpr ArgumentDef kIncludeDeprecated[] = {{"includeDeprecated", "Boolean", "false", ""}};
constexpr ArgumentDef kTypeArgs[] = {{"name", "String!", "", ""}};
constexpr FieldDef kQueryMetaFields[] = {
    {"__schema", "__Schema!", {}, "Access the current type schema of this server."},
    {"__type", "__Type", kTypeArgs, "Request the type information of a single type."},
};
constexpr FieldDef kSchemaFields[] = {
    {"description", "String", {}, ""},
    {"types", "[__Type!]!", {}, "A list of all types supported by this server."},
    {"queryType", "__Type!", {}, "The type that query operations will be rooted at."},
    {"mutationType", "__Type", {}, "Always null: no mutations."},
    {"subscriptionType", "__Type", {}, "Always null: no subscriptions."},
    {"directives", "[__Directive!]!", {}, "A list of all directives supported by this server."},
};
constexpr FieldDef kTypeFields[] = {
    {"kind", "__TypeKind!", {}, ""},
    {"name", "String", {}, ""},
    {"description", "String", {}, ""},
    {"specifiedByURL", "String", {}, ""},
    {"fields", "[__Field!]", kIncludeDeprecated, ""},
    {"interfaces", "[__Type!]", {}, ""},
    {"possibleTypes", "[__Type!]", {}, ""},
    {"enumValues", "[__EnumValue!]", kIncludeDeprecated, ""},
    {"inputFields", "[__InputValue!]", kIncludeDeprecated, ""},
    {"ofType", "__Type", {}, ""},
};
constexpr FieldDef kFieldFields[] = {
    {"name", "String!", {}, ""},
    {"description", "String", {}, ""},
    {"args", "[__InputValue!]!", kIncludeDeprecated, ""},
    {"type", "__Type!", {}, ""},
    {"isDeprecated", "Boolean!", {}, ""},
    {"deprecationReason", "String", {}, ""},
};
constexpr FieldDef kInputValueFields[] = {
    {"name", "String!", {}, ""},        {"description", "String", {}, ""},    {"type", "__Type!", {}, ""},
    {"defaultValue", "String", {}, ""}, {"isDeprecated", "Boolean!", {}, ""}, {"deprecationReason", "String", {}, ""},
};
constexpr FieldDef kEnumValueFields[] = {
    {"name", "String!", {}, ""},
    {"description", "String", {}, ""},
    {"isDeprecated", "Boolean!", {}, ""},
    {"deprecationReason", "String", {}, ""},
};
constexpr FieldDef kDirectiveFields[] = {
    {"name", "String!", {}, ""},
    {"description", "String", {}, ""},
    {"locations", "[__DirectiveLocation!]!", {}, ""},
    {"args", "[__InputValue!]!", kIncludeDeprecated, ""},
    {"isRepeatable", "Boolean!", {}, ""},
};
constexpr std::string_view kTypeKinds[] = {"SCALAR", "OBJECT",       "INTERFACE", "UNION",
                                           "ENUM",   "INPUT_OBJECT", "LIST",      "NON_NULL"};
constexpr std::string_view kDirectiveLocations[] = {"QUERY",
                                                    "MUTATION",
                                                    "SUBSCRIPTION",
                                                    "FIELD",
                                                    "FRAGMENT_DEFINITION",
                                                    "FRAGMENT_SPREAD",
                                                    "INLINE_FRAGMENT",
                                                    "VARIABLE_DEFINITION",
                                                    "SCHEMA",
                                                    "SCALAR",
                                                    "OBJECT",
                                                    "FIELD_DEFINITION",
                                                    "ARGUMENT_DEFINITION",
                                                    "INTERFACE",
                                                    "UNION",
                                                    "ENUM",
                                                    "ENUM_VALUE",
                                                    "INPUT_OBJECT",
                                                    "INPUT_FIELD_DEFINITION"};

constexpr std::string_view kExecutableLocations[] = {"FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"};
constexpr ArgumentDef kIncludeArgs[] = {{"if", "Boolean!", "", "Included when true."}};
constexpr ArgumentDef kSkipArgs[] = {{"if", "Boolean!", "", "Skipped when true."}};
constexpr DirectiveDef kDirectives[] = {
    {"include", "Directs the executor to include this field or fragment only when the `if` argument is true.",
     kExecutableLocations, kIncludeArgs},
    {"skip", "Directs the executor to skip this field or fragment when the `if` argument is true.",
     kExecutableLocations, kSkipArgs},
};

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
    {"__Schema", K::Object, kSchemaFields, ""},
    {"__Type", K::Object, kTypeFields, ""},
    {"__Field", K::Object, kFieldFields, ""},
    {"__InputValue", K::Object, kInputValueFields, ""},
    {"__EnumValue", K::Object, kEnumValueFields, ""},
    {"__Directive", K::Object, kDirectiveFields, ""},
    {"__TypeKind", K::Enum, {}, "", kTypeKinds},
    {"__DirectiveLocation", K::Enum, {}, "", kDirectiveLocations},
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

std::span<const DirectiveDef> directives() { return kDirectives; }

const FieldDef* findField(const TypeDef& type, std::string_view name) {
  if (name.starts_with("__")) {  // introspection names are never converted
    if (type.name != kQueryType) return nullptr;
    for (const FieldDef& f : kQueryMetaFields)
      if (f.name == name) return &f;
    return nullptr;
  }
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

bool isLeafType(std::string_view named) {
  const TypeDef* t = findType(named);
  return t && t->kind != TypeDef::Kind::Object;
}

}  // namespace codestats::graphql::schema
