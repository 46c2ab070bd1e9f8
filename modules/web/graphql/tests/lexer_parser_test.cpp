#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "lexer.hpp"
#include "parser.hpp"

using namespace codestats::graphql;
using codestats::graphql::testing::run;

namespace {

// The syntax error of `source` as "line:column message".
std::string syntaxError(std::string_view source) {
  try {
    parseDocument(source);
  } catch (const SyntaxError& e) {
    return std::to_string(e.location.line) + ":" + std::to_string(e.location.column) + " " + e.message;
  }
  return "no error";
}

}  // namespace

TEST_CASE("lexer: punctuators, names, numbers, strings, comments and commas", "[graphql][lexer]") {
  const auto tokens = tokenize("query Q($a: Int = -12, $b: Float = 1.5e3) # comment\n{ ...F @skip(if: true) }");
  std::vector<std::string> texts;
  for (const Token& t : tokens) texts.push_back(t.text);
  CHECK(texts == std::vector<std::string>{"query", "Q", "(",     "$", "a",     ":", "Int", "=",   "-12", "$",
                                          "b",     ":", "Float", "=", "1.5e3", ")", "{",   "...", "F",   "@",
                                          "skip",  "(", "if",    ":", "true",  ")", "}",   ""});
  CHECK(tokens[8].kind == Token::Kind::Int);
  CHECK(tokens[14].kind == Token::Kind::Float);
  CHECK(tokens[16].location.line == 2);
  CHECK(tokens[16].location.column == 1);
}

TEST_CASE("lexer: string escapes and block strings", "[graphql][lexer]") {
  CHECK(tokenize(R"("a\"b\\c\/d\n\t\u00e9\uD83D\uDE00")")[0].text == "a\"b\\c/d\n\t\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(tokenize("\"\"\"\n    hello\n      world\n    \"\"\"")[0].text == "hello\n  world");
  CHECK(tokenize(R"("""a \""" b""")")[0].text == "a \"\"\" b");
  // Columns count code points, not bytes.
  CHECK(tokenize("\"\xC3\xA9\xC3\xA9\" x")[1].location.column == 6);
}

TEST_CASE("parser: operations, variables with defaults, aliases, fragments, directives", "[graphql][parser]") {
  const Document doc = parseDocument(R"(
    query Profile($name: String = "Nicd", $since: Date!, $list: [Int!]! = [1, 2]) {
      p: profile(username: $name) {
        ...Totals @include(if: true)
        ... on Profile { registered }
        ... @skip(if: false) { totalXp }
        recent: languages(since: "2026-11-26T00:00:00Z") { name xp }
      }
    }
    fragment Totals on Profile { totalXp }
    { profile(username: "x") { totalXp } }
  )");
  REQUIRE(doc.operations.size() == 2);
  REQUIRE(doc.fragments.size() == 1);
  const OperationDefinition& op = doc.operations[0];
  CHECK(op.name == "Profile");
  REQUIRE(op.variables.size() == 3);
  CHECK(op.variables[0].defaultValue->text == "Nicd");
  CHECK(op.variables[1].type.toString() == "Date!");
  CHECK(op.variables[2].type.toString() == "[Int!]!");
  CHECK(op.variables[2].defaultValue->list.size() == 2);
  const Selection& p = op.selections[0];
  CHECK(p.alias == "p");
  CHECK(p.name == "profile");
  CHECK(p.arguments[0].value.kind == Value::Kind::Variable);
  REQUIRE(p.selections.size() == 4);
  CHECK(p.selections[0].kind == Selection::Kind::FragmentSpread);
  CHECK(p.selections[0].directives[0].name == "include");
  CHECK(p.selections[1].kind == Selection::Kind::InlineFragment);
  CHECK(p.selections[1].typeCondition == "Profile");
  CHECK(p.selections[2].typeCondition.empty());
  CHECK(p.selections[3].responseKey() == "recent");
  CHECK(doc.operations[1].name.empty());
  CHECK(doc.fragments[0].typeCondition == "Profile");
}

TEST_CASE("parser: literal kinds in arguments", "[graphql][parser]") {
  const Document doc =
      parseDocument(R"({ f(a: 1, b: -0.5, c: "s", d: true, e: null, f: ENUM, g: [1, [2]], h: {x: 1, y: {z: $v}}) })");
  const auto& args = doc.operations[0].selections[0].arguments;
  REQUIRE(args.size() == 8);
  CHECK(args[0].value.kind == Value::Kind::Int);
  CHECK(args[1].value.kind == Value::Kind::Float);
  CHECK(args[2].value.kind == Value::Kind::String);
  CHECK(args[3].value.boolean);
  CHECK(args[4].value.kind == Value::Kind::Null);
  CHECK(args[5].value.kind == Value::Kind::Enum);
  CHECK(args[6].value.list[1].list[0].text == "2");
  CHECK(args[7].value.fields[1].value.fields[0].value.kind == Value::Kind::Variable);
}

TEST_CASE("parser: syntax errors carry line and column", "[graphql][parser]") {
  CHECK(syntaxError("") == "1:1 Syntax Error: Unexpected <EOF>; the document has no operation.");
  CHECK(syntaxError("{ profile(username: \"x\") {") == "1:27 Syntax Error: Expected Name, found <EOF>.");
  CHECK(syntaxError("{\n  profile(username: )\n}") == "2:21 Syntax Error: Unexpected \")\".");
  CHECK(syntaxError("{ a }}") == "1:6 Syntax Error: Unexpected \"}\".");
  CHECK(syntaxError("{ a(b: \"x) }") == "1:13 Syntax Error: Unterminated string.");
  CHECK(syntaxError("{ a(b: 01) }") == "1:9 Syntax Error: Invalid number, unexpected digit after 0.");
  CHECK(syntaxError("{ a(b: 1.) }") == "1:10 Syntax Error: Invalid number, expected digit after \".\".");
  CHECK(syntaxError("{ a(b: 1x) }") == "1:9 Syntax Error: Invalid number, unexpected character after the number.");
  CHECK(syntaxError("{ a(b: \"\\q\") }") == "1:10 Syntax Error: Invalid character escape sequence.");
  CHECK(syntaxError("{ a(b: \"\\uD800\") }") == "1:15 Syntax Error: Invalid Unicode escape sequence (lone surrogate).");
  CHECK(syntaxError("{ a ? }") == "1:5 Syntax Error: Unexpected character \"?\".");
  CHECK(syntaxError("{ a .. }") == "1:5 Syntax Error: Unexpected \".\"; did you mean \"...\"?");
  CHECK(syntaxError("{ \x01 }") == "1:3 Syntax Error: Invalid character U+0001.");
  CHECK(syntaxError("{ a(b: \"\xFF\") }") == "1:9 Syntax Error: Invalid UTF-8 in the document.");
  CHECK(syntaxError("{ \xC3\xA9 }") == "1:3 Syntax Error: Unexpected character \"\xC3\xA9\".");
  CHECK(syntaxError("type Query { a: Int }") ==
        "1:1 Syntax Error: Unexpected Name \"type\"; only executable definitions (operations and fragments) are "
        "allowed.");
  CHECK(syntaxError("fragment on on Profile { a }") ==
        "1:10 Syntax Error: Unexpected Name \"on\"; a fragment needs a name.");
  CHECK(syntaxError("fragment F Profile { a }") == "1:12 Syntax Error: Expected \"on\", found Name \"Profile\".");
  CHECK(syntaxError("query ($a: Int = $b) { a }") ==
        "1:18 Syntax Error: Unexpected variable \"$b\" in a constant value.");
  CHECK(syntaxError("{ a {} }") == "1:6 Syntax Error: Expected Name, found \"}\".");
  CHECK(syntaxError("{ a(b: [1, 2) }") == "1:13 Syntax Error: Unexpected \")\".");
}

TEST_CASE("parser: syntax errors in the GraphQL response format", "[graphql][parser]") {
  CHECK(run("{\n  profile(username: \"Nicd\") { totalXp }") ==
        R"({"errors":[{"message":"Syntax Error: Expected Name, found <EOF>.","locations":[{"line":2,"column":40}]}]})");
}
