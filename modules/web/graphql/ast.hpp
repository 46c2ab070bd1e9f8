// The syntax tree of a GraphQL executable document (spec "Executable Definitions").
// Values are also the runtime representation of variables decoded from JSON.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"

namespace codestats::graphql {

struct ObjectField;

struct Value {
  enum class Kind { Null, Variable, Int, Float, String, Boolean, Enum, List, Object };
  Kind kind = Kind::Null;
  // Variable and enum names, string contents, and the source text of Int and Float.
  std::string text;
  bool boolean = false;
  std::vector<Value> list;
  std::vector<ObjectField> fields;  // Object members in document (or JSON) order
  SourceLocation location;
};

struct ObjectField {
  std::string name;
  Value value;
};

// A type reference as written in a variable definition: `named` wrapped, from the outside
// in, by `wrappers` ('L' for a list, '!' for non-null). `[Date!]!` is named "Date",
// wrappers "!L!".
struct TypeRef {
  std::string named;
  std::string wrappers;

  bool nonNull() const { return !wrappers.empty() && wrappers.front() == '!'; }
  // The type with its outermost wrapper removed.
  TypeRef inner() const { return {named, wrappers.substr(1)}; }
  bool isList() const { return !wrappers.empty() && wrappers.front() == 'L'; }
  std::string toString() const;
  bool operator==(const TypeRef&) const = default;
};

struct Argument {
  std::string name;
  Value value;
  SourceLocation location;
};

struct Directive {
  std::string name;
  std::vector<Argument> arguments;
  SourceLocation location;
};

struct Selection;
using SelectionSet = std::vector<Selection>;

struct Selection {
  enum class Kind { Field, FragmentSpread, InlineFragment };
  Kind kind = Kind::Field;
  std::string alias;          // Field: empty when none
  std::string name;           // Field name or spread fragment name
  std::string typeCondition;  // InlineFragment: empty when none
  std::vector<Argument> arguments;
  std::vector<Directive> directives;
  SelectionSet selections;  // Field (may be empty) and InlineFragment
  SourceLocation location;

  const std::string& responseKey() const { return alias.empty() ? name : alias; }
};

struct VariableDefinition {
  std::string name;
  TypeRef type;
  std::optional<Value> defaultValue;
  std::vector<Directive> directives;
  SourceLocation location;
};

struct OperationDefinition {
  std::string operation = "query";  // query, mutation or subscription
  std::string name;                 // empty when anonymous
  std::vector<VariableDefinition> variables;
  std::vector<Directive> directives;
  SelectionSet selections;
  SourceLocation location;
};

struct FragmentDefinition {
  std::string name;
  std::string typeCondition;
  std::vector<Directive> directives;
  SelectionSet selections;
  SourceLocation location;
};

// The fields of one selection set after fragments and @skip/@include are applied, grouped
// by response key in document order (spec "CollectFields").
using FieldGroups = std::vector<std::pair<std::string, std::vector<const Selection*>>>;

struct Document {
  std::vector<OperationDefinition> operations;
  std::vector<FragmentDefinition> fragments;
};

}  // namespace codestats::graphql
