#include "validate.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "limits.hpp"
#include "schema.hpp"
#include "values.hpp"

namespace codestats::graphql {
namespace {

using Locations = std::vector<SourceLocation>;

struct VariableUsage {
  std::string name;
  std::optional<TypeRef> expected;  // unknown when the surrounding field is unknown
  SourceLocation location;
};

// What a walk over one operation's or fragment's selections found.
struct Usage {
  std::vector<std::string> spreads;
  std::vector<VariableUsage> variables;
};

struct Cost {
  uint64_t selections = 0;
  uint64_t sourceFields = 0;
  int depth = 0;
};

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  constexpr uint64_t kCap = uint64_t{1} << 62;
  return a + b > kCap ? kCap : a + b;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

class Validator {
 public:
  explicit Validator(const Document& doc) : doc_(doc) {}

  std::vector<GraphqlError> run() {
    checkOperations();
    indexFragments();
    for (const FragmentDefinition& f : doc_.fragments) {
      Usage usage;
      checkDirectives(f.directives, "FRAGMENT_DEFINITION", usage);
      const TypeDef* type = conditionType(f.typeCondition, f.location, "Fragment " + quoted(f.name));
      visitSelections(f.selections, type, usage);
      fragmentUsage_[f.name] = std::move(usage);
    }
    std::vector<Usage> operationUsage;
    for (const OperationDefinition& op : doc_.operations) {
      Usage usage;
      checkDirectives(op.directives,
                      op.operation == "query"      ? "QUERY"
                      : op.operation == "mutation" ? "MUTATION"
                                                   : "SUBSCRIPTION",
                      usage);
      if (op.operation == "query") visitSelections(op.selections, schema::findType(schema::kQueryType), usage);
      operationUsage.push_back(std::move(usage));
    }
    checkFragmentCycles();
    checkUnusedFragments(operationUsage);
    for (size_t k = 0; k < doc_.operations.size(); ++k) checkVariables(doc_.operations[k], operationUsage[k]);
    if (!errors_.empty()) return errors_;
    // Only on a document free of cycles and unknown names: the costs below recurse through
    // fragments, and the merge check expands them (bounded once the costs passed).
    for (const OperationDefinition& op : doc_.operations) checkCost(op);
    if (!errors_.empty()) return errors_;
    for (const OperationDefinition& op : doc_.operations)
      checkMergeable({&op.selections}, schema::findType(schema::kQueryType));
    return errors_;
  }

 private:
  void error(std::string message, Locations locations) {
    if (errors_.size() > kMaxErrors) return;
    if (errors_.size() == kMaxErrors) {
      errors_.push_back({"Too many validation errors; validation stopped.", {}, {}});
      return;
    }
    errors_.push_back({std::move(message), std::move(locations), {}});
  }

  std::string operationLabel(const OperationDefinition& op) const {
    return op.name.empty() ? "" : " by operation " + quoted(op.name);
  }

  void checkOperations() {
    std::map<std::string, SourceLocation> names;
    for (const OperationDefinition& op : doc_.operations) {
      if (op.operation != "query")
        error("Schema is not configured to execute " + op.operation + " operations; only queries are supported.",
              {op.location});
      if (op.name.empty()) {
        if (doc_.operations.size() > 1)
          error("This anonymous operation must be the only defined operation.", {op.location});
        continue;
      }
      auto [it, inserted] = names.emplace(op.name, op.location);
      if (!inserted) error("There can be only one operation named " + quoted(op.name) + ".", {it->second, op.location});
    }
  }

  void indexFragments() {
    for (const FragmentDefinition& f : doc_.fragments) {
      auto [it, inserted] = fragments_.emplace(f.name, &f);
      if (!inserted)
        error("There can be only one fragment named " + quoted(f.name) + ".", {it->second->location, f.location});
    }
  }

  // The object type a fragment conditions on, or null (after reporting why) when there is none.
  const TypeDef* conditionType(const std::string& name, SourceLocation at, const std::string& what) {
    const TypeDef* type = schema::findType(name);
    if (!type) {
      error("Unknown type " + quoted(name) + ".", {at});
      return nullptr;
    }
    if (type->kind != TypeDef::Kind::Object) {
      error(what + " cannot condition on non composite type " + quoted(name) + ".", {at});
      return nullptr;
    }
    return type;
  }

  void visitSelections(const SelectionSet& set, const TypeDef* parent, Usage& usage) {
    for (const Selection& s : set) {
      switch (s.kind) {
        case Selection::Kind::Field: visitField(s, parent, usage); break;
        case Selection::Kind::InlineFragment: {
          checkDirectives(s.directives, "INLINE_FRAGMENT", usage);
          const TypeDef* type = parent;
          if (!s.typeCondition.empty()) {
            type = conditionType(s.typeCondition, s.location, "Fragment");
            if (type && parent && type != parent) {
              error("Fragment cannot be spread here as objects of type " + quoted(parent->name) +
                        " can never be of type " + quoted(type->name) + ".",
                    {s.location});
              type = nullptr;
            }
          }
          visitSelections(s.selections, type, usage);
          break;
        }
        case Selection::Kind::FragmentSpread: {
          checkDirectives(s.directives, "FRAGMENT_SPREAD", usage);
          usage.spreads.push_back(s.name);
          auto it = fragments_.find(s.name);
          if (it == fragments_.end()) {
            error("Unknown fragment " + quoted(s.name) + ".", {s.location});
          } else if (const TypeDef* type = schema::findType(it->second->typeCondition);
                     type && parent && type->kind == TypeDef::Kind::Object && type != parent) {
            error("Fragment " + quoted(s.name) + " cannot be spread here as objects of type " + quoted(parent->name) +
                      " can never be of type " + quoted(type->name) + ".",
                  {s.location});
          }
          break;
        }
      }
    }
  }

  void visitField(const Selection& s, const TypeDef* parent, Usage& usage) {
    checkDirectives(s.directives, "FIELD", usage);
    if (!parent) {  // inside something already reported: only collect names
      for (const Argument& a : s.arguments) collectVariables(a.value, std::nullopt, usage);
      visitSelections(s.selections, nullptr, usage);
      return;
    }
    if (s.name == "__typename") {
      for (const Argument& a : s.arguments)
        error("Unknown argument " + quoted(a.name) + " on field " + quoted(std::string(parent->name) + ".__typename") +
                  ".",
              {a.location});
      if (!s.selections.empty())
        error("Field \"__typename\" must not have a selection since type \"String!\" has no subfields.", {s.location});
      return;
    }
    const FieldDef* field = schema::findField(*parent, s.name);
    if (!field) {
      error("Cannot query field " + quoted(s.name) + " on type " + quoted(parent->name) + ".", {s.location});
      for (const Argument& a : s.arguments) collectVariables(a.value, std::nullopt, usage);
      visitSelections(s.selections, nullptr, usage);
      return;
    }
    checkArguments(s, *field, *parent, usage);
    const TypeRef type = schema::typeRef(field->type);
    const TypeDef* named = schema::findType(type.named);
    if (named->kind == TypeDef::Kind::Object) {
      if (s.selections.empty())
        error("Field " + quoted(s.name) + " of type " + quoted(field->type) +
                  " must have a selection of subfields. Did you mean \"" + s.name + " { ... }\"?",
              {s.location});
      visitSelections(s.selections, named, usage);
    } else if (!s.selections.empty()) {
      error("Field " + quoted(s.name) + " must not have a selection since type " + quoted(field->type) +
                " has no subfields.",
            {s.location});
    }
  }

  void checkArguments(const Selection& s, const FieldDef& field, const TypeDef& parent, Usage& usage) {
    std::set<std::string> seen;  // underscored names
    for (const Argument& a : s.arguments) {
      if (!seen.insert(schema::internalName(a.name)).second)
        error("There can be only one argument named " + quoted(a.name) + ".", {a.location});
      const ArgumentDef* def = schema::findArgument(field, a.name);
      if (!def) {
        error(
            "Unknown argument " + quoted(a.name) + " on field " + quoted(std::string(parent.name) + "." + s.name) + ".",
            {a.location});
        collectVariables(a.value, std::nullopt, usage);
        continue;
      }
      checkValue(a.value, schema::typeRef(def->type), usage);
    }
    for (const ArgumentDef& def : field.arguments) {
      if (schema::typeRef(def.type).nonNull() && !seen.count(schema::internalName(def.name)))
        error("Field " + quoted(s.name) + " argument " + quoted(def.name) + " of type " + quoted(def.type) +
                  " is required, but it was not provided.",
              {s.location});
    }
  }

  void checkValue(const Value& value, const TypeRef& type, Usage& usage) {
    if (auto e = inputValueError(value, type)) {
      error(*e, {value.location});
      return;
    }
    collectVariables(value, type, usage);
  }

  // Records every variable inside `value` with the type expected at its position.
  void collectVariables(const Value& value, const std::optional<TypeRef>& type, Usage& usage) {
    if (value.kind == Value::Kind::Variable) {
      usage.variables.push_back({value.text, type, value.location});
      return;
    }
    std::optional<TypeRef> item;
    if (type) {
      const TypeRef nullable = type->nonNull() ? type->inner() : *type;
      item = nullable.isList() ? nullable.inner() : nullable;
    }
    for (const Value& v : value.list) collectVariables(v, item, usage);
    for (const auto& [key, v] : value.fields) collectVariables(v, std::nullopt, usage);
  }

  void checkDirectives(const std::vector<Directive>& directives, std::string_view location, Usage& usage) {
    std::set<std::string> seen;
    for (const Directive& d : directives) {
      if (d.name != "include" && d.name != "skip") {
        error("Unknown directive \"@" + d.name + "\".", {d.location});
        for (const Argument& a : d.arguments) collectVariables(a.value, std::nullopt, usage);
        continue;
      }
      if (location != "FIELD" && location != "FRAGMENT_SPREAD" && location != "INLINE_FRAGMENT")
        error("Directive \"@" + d.name + "\" may not be used on " + std::string(location) + ".", {d.location});
      if (!seen.insert(d.name).second)
        error("The directive \"@" + d.name + "\" can only be used once at this location.", {d.location});
      bool hasIf = false;
      for (const Argument& a : d.arguments) {
        if (a.name != "if") {
          error("Unknown argument " + quoted(a.name) + " on directive \"@" + d.name + "\".", {a.location});
          collectVariables(a.value, std::nullopt, usage);
          continue;
        }
        if (hasIf) error("There can be only one argument named \"if\".", {a.location});
        hasIf = true;
        checkValue(a.value, TypeRef{"Boolean", "!"}, usage);
      }
      if (!hasIf)
        error(
            "Directive \"@" + d.name + "\" argument \"if\" of type \"Boolean!\" is required, but it was not provided.",
            {d.location});
    }
  }

  void checkFragmentCycles() {
    std::map<std::string, int> state;  // 1 = on the current path, 2 = done
    std::vector<std::string> path;
    for (const FragmentDefinition& f : doc_.fragments) detectCycle(f.name, state, path);
  }

  void detectCycle(const std::string& name, std::map<std::string, int>& state, std::vector<std::string>& path) {
    auto usage = fragmentUsage_.find(name);
    if (usage == fragmentUsage_.end() || state[name] == 2) return;
    state[name] = 1;
    path.push_back(name);
    for (const std::string& next : usage->second.spreads) {
      if (state[next] == 1) {
        const auto from = std::find(path.begin(), path.end(), next);
        std::string via;
        for (auto it = from + 1; it != path.end(); ++it) via += (via.empty() ? "" : ", ") + quoted(*it);
        error("Cannot spread fragment " + quoted(next) + " within itself" + (via.empty() ? "" : " via " + via) + ".",
              {fragments_.at(next)->location});
        continue;
      }
      detectCycle(next, state, path);
    }
    path.pop_back();
    state[name] = 2;
  }

  // The fragments reachable from `usage`, each once (cycles are harmless here).
  std::set<std::string> reachableFragments(const Usage& usage) const {
    std::set<std::string> seen;
    std::vector<std::string> todo(usage.spreads.begin(), usage.spreads.end());
    while (!todo.empty()) {
      std::string name = std::move(todo.back());
      todo.pop_back();
      auto it = fragmentUsage_.find(name);
      if (it == fragmentUsage_.end() || !seen.insert(name).second) continue;
      todo.insert(todo.end(), it->second.spreads.begin(), it->second.spreads.end());
    }
    return seen;
  }

  void checkUnusedFragments(const std::vector<Usage>& operationUsage) {
    std::set<std::string> used;
    for (const Usage& u : operationUsage) used.merge(reachableFragments(u));
    for (const FragmentDefinition& f : doc_.fragments)
      if (!used.count(f.name)) error("Fragment " + quoted(f.name) + " is never used.", {f.location});
  }

  static bool typesCompatible(const TypeRef& variable, const TypeRef& location) {
    if (location.nonNull()) return variable.nonNull() && typesCompatible(variable.inner(), location.inner());
    if (variable.nonNull()) return typesCompatible(variable.inner(), location);
    if (location.isList()) return variable.isList() && typesCompatible(variable.inner(), location.inner());
    if (variable.isList()) return false;
    return variable.named == location.named;
  }

  void checkVariables(const OperationDefinition& op, const Usage& own) {
    std::map<std::string, const VariableDefinition*> defined;
    for (const VariableDefinition& v : op.variables) {
      if (!defined.emplace(v.name, &v).second)
        error("There can be only one variable named \"$" + v.name + "\".", {v.location});
      Usage ignored;
      checkDirectives(v.directives, "VARIABLE_DEFINITION", ignored);
      if (!schema::findType(v.type.named)) {
        error("Unknown type " + quoted(v.type.named) + ".", {v.location});
      } else if (!schema::isInputType(v.type.named)) {
        error("Variable \"$" + v.name + "\" cannot be non-input type " + quoted(v.type.toString()) + ".", {v.location});
      } else if (v.defaultValue) {
        if (auto e = inputValueError(*v.defaultValue, v.type))
          error("Variable \"$" + v.name + "\" has an invalid default value: " + *e, {v.defaultValue->location});
      }
    }
    std::vector<VariableUsage> usages = own.variables;
    for (const std::string& name : reachableFragments(own)) {
      const Usage& u = fragmentUsage_.at(name);
      usages.insert(usages.end(), u.variables.begin(), u.variables.end());
    }
    std::set<std::string> used;
    for (const VariableUsage& u : usages) {
      used.insert(u.name);
      auto it = defined.find(u.name);
      if (it == defined.end()) {
        error("Variable \"$" + u.name + "\" is not defined" + operationLabel(op) + ".", {u.location, op.location});
        continue;
      }
      const VariableDefinition& def = *it->second;
      if (!u.expected || !schema::isInputType(def.type.named)) continue;
      TypeRef variableType = def.type;
      // A nullable variable with a non-null default may fill a non-null position.
      if (u.expected->nonNull() && !variableType.nonNull() && def.defaultValue &&
          def.defaultValue->kind != Value::Kind::Null)
        variableType.wrappers.insert(variableType.wrappers.begin(), '!');
      if (!typesCompatible(variableType, *u.expected))
        error("Variable \"$" + u.name + "\" of type " + quoted(def.type.toString()) +
                  " used in position expecting type " + quoted(u.expected->toString()) + ".",
              {def.location, u.location});
    }
    for (const VariableDefinition& v : op.variables)
      if (!used.count(v.name))
        error("Variable \"$" + v.name + "\" is never used" +
                  (op.name.empty() ? "" : " in operation " + quoted(op.name)) + ".",
              {v.location});
  }

  Cost cost(const SelectionSet& set, const TypeDef* parent) {
    Cost c;
    const bool sourceType = parent && (parent->name == schema::kQueryType || parent->name == "Profile");
    for (const Selection& s : set) {
      Cost sub;
      if (s.kind == Selection::Kind::Field) {
        const FieldDef* field = parent ? schema::findField(*parent, s.name) : nullptr;
        sub = cost(s.selections, field ? schema::findType(schema::typeRef(field->type).named) : nullptr);
        sub.depth += 1;
        if (sourceType && !s.name.starts_with("__")) sub.sourceFields = saturatingAdd(sub.sourceFields, 1);
      } else if (s.kind == Selection::Kind::InlineFragment) {
        sub = cost(s.selections, parent);
      } else {
        sub = fragmentCost(s.name);
      }
      c.selections = saturatingAdd(c.selections, saturatingAdd(sub.selections, 1));
      c.sourceFields = saturatingAdd(c.sourceFields, sub.sourceFields);
      c.depth = std::max(c.depth, sub.depth);
    }
    return c;
  }

  Cost fragmentCost(const std::string& name) {
    if (auto it = fragmentCost_.find(name); it != fragmentCost_.end()) return it->second;
    const FragmentDefinition& f = *fragments_.at(name);
    Cost c = cost(f.selections, schema::findType(f.typeCondition));
    fragmentCost_[name] = c;
    return c;
  }

  void checkCost(const OperationDefinition& op) {
    const Cost c = cost(op.selections, schema::findType(schema::kQueryType));
    if (c.selections > kMaxSelections)
      error("Query is too large: " +
                std::string(c.selections >= (uint64_t{1} << 62) ? "over 4e18" : std::to_string(c.selections)) +
                " selections after expanding fragments (at most " + std::to_string(kMaxSelections) + ").",
            {op.location});
    else if (c.sourceFields > kMaxSourceFields)
      error("Query is too complex: " + std::to_string(c.sourceFields) + " profile fields (at most " +
                std::to_string(kMaxSourceFields) + ").",
            {op.location});
    if (c.depth > kMaxFieldDepth)
      error("Query is nested too deeply: " + std::to_string(c.depth) + " levels of fields (at most " +
                std::to_string(kMaxFieldDepth) + ").",
            {op.location});
  }

  // All fields of `sets` (expanding fragments) by response key, in document order.
  void collect(const SelectionSet& set, std::vector<std::pair<std::string, const Selection*>>& out) {
    for (const Selection& s : set) {
      if (s.kind == Selection::Kind::Field) out.emplace_back(s.responseKey(), &s);
      else if (s.kind == Selection::Kind::InlineFragment) collect(s.selections, out);
      else collect(fragments_.at(s.name)->selections, out);
    }
  }

  static bool sameArguments(const Selection& a, const Selection& b) {
    if (a.arguments.size() != b.arguments.size()) return false;
    for (const Argument& x : a.arguments) {
      auto y = std::find_if(b.arguments.begin(), b.arguments.end(), [&](const Argument& y) {
        return schema::internalName(y.name) == schema::internalName(x.name);
      });
      if (y == b.arguments.end() || !sameValue(x.value, y->value)) return false;
    }
    return true;
  }

  // Fields that share a response key must be the same field with the same arguments; their
  // sub-selections are merged and checked in turn. (The schema has no interfaces or unions,
  // so every field here has the same parent type.)
  void checkMergeable(const std::vector<const SelectionSet*>& sets, const TypeDef* parent) {
    if (!parent) return;
    std::vector<std::pair<std::string, const Selection*>> fields;
    for (const SelectionSet* set : sets) collect(*set, fields);
    std::map<std::string, std::vector<const Selection*>> byKey;
    std::vector<std::string> order;
    for (auto& [key, s] : fields) {
      auto& group = byKey[key];
      if (group.empty()) order.push_back(key);
      group.push_back(s);
    }
    for (const std::string& key : order) {
      const auto& group = byKey[key];
      const Selection& first = *group.front();
      std::vector<const SelectionSet*> children;
      bool conflict = false;
      for (const Selection* s : group) {
        if (schema::canonicalField(parent->name, s->name) != schema::canonicalField(parent->name, first.name)) {
          error("Fields " + quoted(key) + " conflict because " + quoted(first.name) + " and " + quoted(s->name) +
                    " are different fields. Use different aliases on the fields to fetch both if this was intentional.",
                {first.location, s->location});
          conflict = true;
        } else if (!sameArguments(first, *s)) {
          error("Fields " + quoted(key) +
                    " conflict because they have differing arguments. Use different aliases on the fields to fetch "
                    "both if this was intentional.",
                {first.location, s->location});
          conflict = true;
        }
        if (conflict) break;
        children.push_back(&s->selections);
      }
      if (conflict || first.name == "__typename") continue;
      const FieldDef* field = schema::findField(*parent, first.name);
      const TypeDef* type = field ? schema::findType(schema::typeRef(field->type).named) : nullptr;
      if (type && type->kind == TypeDef::Kind::Object) checkMergeable(children, type);
    }
  }

  const Document& doc_;
  std::vector<GraphqlError> errors_;
  std::map<std::string, const FragmentDefinition*> fragments_;
  std::map<std::string, Usage> fragmentUsage_;
  std::map<std::string, Cost> fragmentCost_;
};

}  // namespace

std::vector<GraphqlError> validate(const Document& document) { return Validator(document).run(); }

}  // namespace codestats::graphql
