#include "parser.hpp"

#include <vector>

#include "lexer.hpp"
#include "limits.hpp"

namespace codestats::graphql {
namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Document document() {
    Document doc;
    if (at(Token::Kind::End)) fail("Unexpected <EOF>; the document has no operation.");
    while (!at(Token::Kind::End)) {
      if (atPunct("{")) {
        OperationDefinition op;
        op.location = cur().location;
        op.selections = selectionSet();
        doc.operations.push_back(std::move(op));
      } else if (atName("query") || atName("mutation") || atName("subscription")) {
        doc.operations.push_back(operation());
      } else if (atName("fragment")) {
        doc.fragments.push_back(fragment());
      } else if (cur().kind == Token::Kind::Name) {
        fail("Unexpected " + describe(cur()) + "; only executable definitions (operations and fragments) are allowed.");
      } else {
        unexpected();
      }
    }
    return doc;
  }

 private:
  const Token& cur() const { return t_[i_]; }
  bool at(Token::Kind k) const { return cur().kind == k; }
  bool atPunct(std::string_view p) const { return at(Token::Kind::Punctuator) && cur().text == p; }
  bool atName(std::string_view n) const { return at(Token::Kind::Name) && cur().text == n; }
  [[noreturn]] void fail(std::string message) const {
    throw SyntaxError{"Syntax Error: " + std::move(message), cur().location};
  }
  [[noreturn]] void unexpected() const { fail("Unexpected " + describe(cur()) + "."); }
  void expectPunct(std::string_view p) {
    if (!atPunct(p)) fail("Expected \"" + std::string(p) + "\", found " + describe(cur()) + ".");
    ++i_;
  }
  bool skipPunct(std::string_view p) {
    if (!atPunct(p)) return false;
    ++i_;
    return true;
  }
  std::string name() {
    if (!at(Token::Kind::Name)) fail("Expected Name, found " + describe(cur()) + ".");
    return t_[i_++].text;
  }

  // Every recursive production goes through here, so hostile nesting stops early.
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxNestingDepth)
        p_.fail("Document is nested too deeply (at most " + std::to_string(kMaxNestingDepth) + " levels).");
    }
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

  OperationDefinition operation() {
    OperationDefinition op;
    op.location = cur().location;
    op.operation = name();
    if (at(Token::Kind::Name)) op.name = name();
    if (skipPunct("(")) {
      do op.variables.push_back(variableDefinition());
      while (!skipPunct(")"));
    }
    op.directives = directives(false);
    op.selections = selectionSet();
    return op;
  }

  VariableDefinition variableDefinition() {
    VariableDefinition v;
    v.location = cur().location;
    expectPunct("$");
    v.name = name();
    expectPunct(":");
    v.type = typeRef();
    if (skipPunct("=")) v.defaultValue = value(true);
    v.directives = directives(true);
    return v;
  }

  TypeRef typeRef() {
    DepthGuard guard(*this);
    TypeRef type;
    if (skipPunct("[")) {
      TypeRef item = typeRef();
      expectPunct("]");
      type.named = std::move(item.named);
      type.wrappers = "L" + item.wrappers;
    } else {
      type.named = name();
    }
    if (skipPunct("!")) type.wrappers.insert(type.wrappers.begin(), '!');
    return type;
  }

  FragmentDefinition fragment() {
    FragmentDefinition f;
    f.location = cur().location;
    ++i_;  // "fragment"
    if (atName("on")) fail("Unexpected Name \"on\"; a fragment needs a name.");
    f.name = name();
    if (!atName("on")) fail("Expected \"on\", found " + describe(cur()) + ".");
    ++i_;
    f.typeCondition = name();
    f.directives = directives(false);
    f.selections = selectionSet();
    return f;
  }

  SelectionSet selectionSet() {
    DepthGuard guard(*this);
    expectPunct("{");
    SelectionSet set;
    do set.push_back(selection());
    while (!skipPunct("}"));
    return set;
  }

  Selection selection() {
    Selection s;
    s.location = cur().location;
    if (skipPunct("...")) {
      if (at(Token::Kind::Name) && !atName("on")) {
        s.kind = Selection::Kind::FragmentSpread;
        s.name = name();
        s.directives = directives(false);
        return s;
      }
      s.kind = Selection::Kind::InlineFragment;
      if (atName("on")) {
        ++i_;
        s.typeCondition = name();
      }
      s.directives = directives(false);
      s.selections = selectionSet();
      return s;
    }
    s.kind = Selection::Kind::Field;
    s.name = name();
    if (skipPunct(":")) {
      s.alias = std::move(s.name);
      s.name = name();
    }
    s.arguments = arguments(false);
    s.directives = directives(false);
    if (atPunct("{")) s.selections = selectionSet();
    return s;
  }

  std::vector<Argument> arguments(bool isConst) {
    std::vector<Argument> args;
    if (!skipPunct("(")) return args;
    do {
      Argument a;
      a.location = cur().location;
      a.name = name();
      expectPunct(":");
      a.value = value(isConst);
      args.push_back(std::move(a));
    } while (!skipPunct(")"));
    return args;
  }

  std::vector<Directive> directives(bool isConst) {
    std::vector<Directive> ds;
    while (atPunct("@")) {
      Directive d;
      d.location = cur().location;
      ++i_;
      d.name = name();
      d.arguments = arguments(isConst);
      ds.push_back(std::move(d));
    }
    return ds;
  }

  Value value(bool isConst) {
    DepthGuard guard(*this);
    Value v;
    v.location = cur().location;
    const Token& t = cur();
    switch (t.kind) {
      case Token::Kind::Int:
        v.kind = Value::Kind::Int;
        v.text = t.text;
        ++i_;
        return v;
      case Token::Kind::Float:
        v.kind = Value::Kind::Float;
        v.text = t.text;
        ++i_;
        return v;
      case Token::Kind::String:
        v.kind = Value::Kind::String;
        v.text = t.text;
        ++i_;
        return v;
      case Token::Kind::Name:
        if (t.text == "true" || t.text == "false") {
          v.kind = Value::Kind::Boolean;
          v.boolean = t.text == "true";
        } else if (t.text == "null") {
          v.kind = Value::Kind::Null;
        } else {
          v.kind = Value::Kind::Enum;
          v.text = t.text;
        }
        ++i_;
        return v;
      case Token::Kind::Punctuator:
        if (t.text == "$") {
          if (isConst)
            fail("Unexpected variable \"$" + (i_ + 1 < t_.size() ? t_[i_ + 1].text : "") + "\" in a constant value.");
          ++i_;
          v.kind = Value::Kind::Variable;
          v.text = name();
          return v;
        }
        if (t.text == "[") {
          ++i_;
          v.kind = Value::Kind::List;
          while (!skipPunct("]")) v.list.push_back(value(isConst));
          return v;
        }
        if (t.text == "{") {
          ++i_;
          v.kind = Value::Kind::Object;
          while (!skipPunct("}")) {
            std::string key = name();
            expectPunct(":");
            v.fields.push_back({std::move(key), value(isConst)});
          }
          return v;
        }
        unexpected();
      case Token::Kind::End: unexpected();
    }
    unexpected();
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

Document parseDocument(std::string_view source) { return Parser(tokenize(source)).document(); }

}  // namespace codestats::graphql
