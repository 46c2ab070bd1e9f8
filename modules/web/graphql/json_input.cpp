#include "json_input.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cmath>
#include <cstdio>

#include "limits.hpp"
#include "utf8.hpp"

namespace codestats::graphql {
namespace {

struct BadJson {
  std::string message;
};

Value convert(const Poco::Dynamic::Var& v, int depth) {
  if (depth > kMaxNestingDepth)
    throw BadJson{"nested too deeply (at most " + std::to_string(kMaxNestingDepth) + " levels)"};
  Value out;
  if (v.isEmpty()) return out;  // null
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
    out.kind = Value::Kind::Object;
    const auto object = v.extract<Poco::JSON::Object::Ptr>();
    for (const auto& [key, member] : *object) {
      if (!isValidUtf8(key)) throw BadJson{"invalid UTF-8 in a key"};
      out.fields.push_back({key, convert(member, depth + 1)});
    }
    return out;
  }
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    out.kind = Value::Kind::List;
    for (const auto& item : *v.extract<Poco::JSON::Array::Ptr>()) out.list.push_back(convert(item, depth + 1));
    return out;
  }
  if (v.isBoolean()) {
    out.kind = Value::Kind::Boolean;
    out.boolean = v.extract<bool>();
  } else if (v.isString()) {
    out.kind = Value::Kind::String;
    out.text = v.extract<std::string>();
    if (!isValidUtf8(out.text)) throw BadJson{"invalid UTF-8 in a string"};
  } else if (v.isInteger()) {
    out.kind = Value::Kind::Int;
    out.text = v.convert<std::string>();
  } else if (v.isNumeric()) {
    const double d = v.convert<double>();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    out.kind = Value::Kind::Float;
    out.text = buf;
    // 1.0 from a JSON encoder is an integer to GraphQL's input coercion.
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      out.kind = Value::Kind::Int;
      out.text = std::to_string(static_cast<int64_t>(d));
    }
  }
  return out;
}

// Parser messages may quote the offending byte; keep them printable ASCII.
std::string printable(std::string message) {
  for (char& c : message)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
  return message;
}

}  // namespace

std::optional<Value> parseJson(std::string_view text, std::string& error) {
  if (!isValidUtf8(text)) {
    error = "invalid UTF-8";
    return std::nullopt;
  }
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(static_cast<size_t>(kMaxNestingDepth));
    return convert(parser.parse(std::string(text)), 0);
  } catch (const BadJson& e) {
    error = e.message;
  } catch (const Poco::Exception& e) {
    error = printable(e.message().empty() ? e.displayText() : e.message());
  } catch (const std::exception& e) {
    error = printable(e.what());
  }
  return std::nullopt;
}

}  // namespace codestats::graphql
