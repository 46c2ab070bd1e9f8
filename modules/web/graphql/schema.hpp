// The Code::Stats profile schema (spec codestats.md §9.2) as static tables: the types, their
// fields, arguments and argument types, plus the introspection types and the directives.
// Validation, execution and introspection are driven by it.
#pragma once

#include <span>
#include <string_view>

#include "ast.hpp"

namespace codestats::graphql {

struct ArgumentDef {
  std::string_view name;
  std::string_view type;               // in SDL notation: "Date!", "String"
  std::string_view defaultValue = {};  // in GraphQL syntax; empty when none
  std::string_view description = {};
};

struct FieldDef {
  std::string_view name;
  std::string_view type;  // in SDL notation: "[ProfileLanguage]", "Int"
  std::span<const ArgumentDef> arguments;
  std::string_view description;
};

struct TypeDef {
  enum class Kind { Scalar, Object, Enum };  // enums are output-only here (introspection)
  std::string_view name;
  Kind kind;
  std::span<const FieldDef> fields;  // objects only
  std::string_view description;
  std::span<const std::string_view> enumValues = {};  // enums only
};

struct DirectiveDef {
  std::string_view name;
  std::string_view description;
  std::span<const std::string_view> locations;
  std::span<const ArgumentDef> arguments;
};

namespace schema {

inline constexpr std::string_view kQueryType = "RootQueryType";

const TypeDef* findType(std::string_view name);
std::span<const DirectiveDef> directives();
// Field and argument names match as Absinthe's default adapter matched them (spec §9.1): by
// their underscored form, so "totalXp", "total_xp" and "TotalXp" all name totalXp.
// The meta fields __schema and __type are found on the query type (they are not listed in
// its introspected fields); __typename is not a FieldDef.
const FieldDef* findField(const TypeDef& type, std::string_view name);
const ArgumentDef* findArgument(const FieldDef& field, std::string_view name);
// The underscored form of a name (Elixir's Macro.underscore for GraphQL names):
// "dayOfYearXps" -> "day_of_year_xps".
std::string internalName(std::string_view name);
// The schema's spelling of field `name` of `type`, or `name` itself when there is none.
std::string_view canonicalField(std::string_view type, std::string_view name);
std::span<const TypeDef> allTypes();
// Parses the SDL notation of the tables ("[Date!]!") into a TypeRef.
TypeRef typeRef(std::string_view sdl);
// Scalars are input types; the schema has no input objects, and its enums are output-only.
bool isInputType(std::string_view named);
bool isLeafType(std::string_view named);

}  // namespace schema
}  // namespace codestats::graphql
