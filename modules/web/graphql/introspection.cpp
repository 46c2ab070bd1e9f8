#include "introspection.hpp"

#include <codestats/json.hpp>

#include "schema.hpp"

namespace codestats::graphql {

// What one introspection object describes.
struct IntrospectionWriter::Node {
  enum class Kind { Schema, Type, Field, InputValue, EnumValue, Directive };
  Kind kind = Kind::Schema;
  const TypeDef* type = nullptr;            // Type: the named type inside the wrappers
  std::string wrappers;                     // Type: '!' and 'L' around it, outside in
  const FieldDef* field = nullptr;          // Field
  const ArgumentDef* argument = nullptr;    // InputValue
  const DirectiveDef* directive = nullptr;  // Directive
  std::string_view enumValue;               // EnumValue

  static Node ofType(std::string_view sdl) {
    const TypeRef ref = schema::typeRef(sdl);
    Node n;
    n.kind = Kind::Type;
    n.type = schema::findType(ref.named);
    n.wrappers = ref.wrappers;
    return n;
  }
  static Node ofType(const TypeDef& type) {
    Node n;
    n.kind = Kind::Type;
    n.type = &type;
    return n;
  }

  std::string_view typeName() const {
    switch (kind) {
      case Kind::Schema: return "__Schema";
      case Kind::Type: return "__Type";
      case Kind::Field: return "__Field";
      case Kind::InputValue: return "__InputValue";
      case Kind::EnumValue: return "__EnumValue";
      case Kind::Directive: return "__Directive";
    }
    return "";
  }
};

namespace {

std::string stringOrNull(std::string_view s) { return s.empty() ? "null" : jsonString(s); }

}  // namespace

void IntrospectionWriter::schema(const std::vector<const Selection*>& fields, std::string& out) const {
  object(Node{}, fields, out);
}

void IntrospectionWriter::type(std::string_view name, const std::vector<const Selection*>& fields,
                               std::string& out) const {
  const TypeDef* t = schema::findType(name);
  if (!t) {
    out += "null";
    return;
  }
  object(Node::ofType(*t), fields, out);
}

void IntrospectionWriter::object(const Node& node, const std::vector<const Selection*>& fields,
                                 std::string& out) const {
  out += "{";
  bool first = true;
  for (const auto& group : collect_(fields)) {
    count_(1);
    out += (first ? "" : ",") + jsonString(group.first) + ":";
    first = false;
    const std::string_view name = schema::canonicalField(node.typeName(), group.second.front()->name);
    const size_t before = out.size();
    if (name == "__typename") out += jsonString(node.typeName());
    else field(node, name, group.second, out);
    if (out.size() == before) out += "null";  // unreachable after validation; keeps the JSON whole
  }
  out += "}";
}

void IntrospectionWriter::list(const std::vector<Node>& nodes, const std::vector<const Selection*>& fields,
                               std::string& out) const {
  out += "[";
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (k) out += ",";
    object(nodes[k], fields, out);
  }
  out += "]";
}

void IntrospectionWriter::field(const Node& node, std::string_view name, const std::vector<const Selection*>& fields,
                                std::string& out) const {
  using K = Node::Kind;
  if (name == "isDeprecated" || name == "isRepeatable") {
    out += "false";
  } else if (name == "deprecationReason" || name == "specifiedByURL" || name == "mutationType" ||
             name == "subscriptionType") {
    out += "null";
  } else if (node.kind == K::Schema) {
    if (name == "description") {
      out += jsonString("Code::Stats profile API");
    } else if (name == "types") {
      std::vector<Node> types;
      for (const TypeDef& t : schema::allTypes()) types.push_back(Node::ofType(t));
      list(types, fields, out);
    } else if (name == "queryType") {
      object(Node::ofType(*schema::findType(schema::kQueryType)), fields, out);
    } else if (name == "directives") {
      std::vector<Node> directives;
      for (const DirectiveDef& d : schema::directives()) {
        Node n;
        n.kind = K::Directive;
        n.directive = &d;
        directives.push_back(n);
      }
      list(directives, fields, out);
    }
  } else if (node.kind == K::Type) {
    const bool wrapped = !node.wrappers.empty();
    const TypeDef& t = *node.type;
    if (name == "kind") {
      out += wrapped                           ? (node.wrappers.front() == '!' ? "\"NON_NULL\"" : "\"LIST\"")
             : t.kind == TypeDef::Kind::Object ? "\"OBJECT\""
             : t.kind == TypeDef::Kind::Enum   ? "\"ENUM\""
                                               : "\"SCALAR\"";
    } else if (name == "name") {
      out += wrapped ? "null" : jsonString(t.name);
    } else if (name == "description") {
      out += wrapped ? "null" : stringOrNull(t.description);
    } else if (name == "ofType") {
      if (!wrapped) {
        out += "null";
        return;
      }
      Node inner = node;
      inner.wrappers.erase(0, 1);
      object(inner, fields, out);
    } else if (wrapped || (name == "fields" && t.kind != TypeDef::Kind::Object) ||
               (name == "interfaces" && t.kind != TypeDef::Kind::Object) ||
               (name == "enumValues" && t.kind != TypeDef::Kind::Enum) || name == "inputFields" ||
               name == "possibleTypes") {
      out += "null";
    } else if (name == "fields") {
      std::vector<Node> nodes;
      for (const FieldDef& f : t.fields) {
        Node n;
        n.kind = K::Field;
        n.field = &f;
        nodes.push_back(n);
      }
      list(nodes, fields, out);
    } else if (name == "interfaces") {
      out += "[]";
    } else if (name == "enumValues") {
      std::vector<Node> nodes;
      for (std::string_view v : t.enumValues) {
        Node n;
        n.kind = K::EnumValue;
        n.enumValue = v;
        nodes.push_back(n);
      }
      list(nodes, fields, out);
    }
  } else if (node.kind == K::Field || node.kind == K::InputValue || node.kind == K::Directive) {
    const std::string_view ownName = node.kind == K::Field       ? node.field->name
                                     : node.kind == K::Directive ? node.directive->name
                                                                 : node.argument->name;
    if (name == "name") {
      out += jsonString(ownName);
    } else if (name == "description") {
      out += stringOrNull(node.kind == K::Field       ? node.field->description
                          : node.kind == K::Directive ? node.directive->description
                                                      : node.argument->description);
    } else if (name == "type") {
      object(Node::ofType(node.kind == K::Field ? node.field->type : node.argument->type), fields, out);
    } else if (name == "defaultValue") {
      out += stringOrNull(node.argument->defaultValue);
    } else if (name == "locations") {
      out += "[";
      for (size_t k = 0; k < node.directive->locations.size(); ++k)
        out += (k ? "," : "") + jsonString(node.directive->locations[k]);
      out += "]";
    } else if (name == "args") {
      std::vector<Node> nodes;
      for (const ArgumentDef& a : node.kind == K::Field ? node.field->arguments : node.directive->arguments) {
        Node n;
        n.kind = K::InputValue;
        n.argument = &a;
        nodes.push_back(n);
      }
      list(nodes, fields, out);
    }
  } else if (node.kind == K::EnumValue) {
    if (name == "name") out += jsonString(node.enumValue);
    else out += "null";  // description
  }
}

}  // namespace codestats::graphql
