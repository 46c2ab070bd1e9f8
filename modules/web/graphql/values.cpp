#include "values.hpp"

#include <cerrno>
#include <cstdlib>

#include "scalars.hpp"
#include "schema.hpp"

namespace codestats::graphql {
namespace {

constexpr size_t kMaxPrintedChars = 80;

void print(const Value& v, std::string& out) {
  if (out.size() > kMaxPrintedChars) return;
  switch (v.kind) {
    case Value::Kind::Null: out += "null"; break;
    case Value::Kind::Variable: out += "$" + v.text; break;
    case Value::Kind::Int:
    case Value::Kind::Float:
    case Value::Kind::Enum: out += v.text; break;
    case Value::Kind::Boolean: out += v.boolean ? "true" : "false"; break;
    case Value::Kind::String:
      out += '"';
      for (char c : v.text) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += "0123456789abcdef"[(c >> 4) & 0xf];
          out += "0123456789abcdef"[c & 0xf];
          continue;
        }
        out += c;
      }
      out += '"';
      break;
    case Value::Kind::List:
      out += '[';
      for (size_t k = 0; k < v.list.size(); ++k) {
        if (k) out += ", ";
        print(v.list[k], out);
      }
      out += ']';
      break;
    case Value::Kind::Object:
      out += '{';
      for (size_t k = 0; k < v.fields.size(); ++k) {
        if (k) out += ", ";
        out += v.fields[k].name + ": ";
        print(v.fields[k].value, out);
      }
      out += '}';
      break;
  }
}

std::optional<std::string> scalarError(const Value& v, std::string_view type) {
  using K = Value::Kind;
  const std::string found = printValue(v);
  if (type == "String") {
    if (v.kind != K::String) return "String cannot represent a non string value: " + found;
  } else if (type == "ID") {
    if (v.kind != K::String && v.kind != K::Int)
      return "ID cannot represent a non-string and non-integer value: " + found;
  } else if (type == "Int") {
    if (v.kind != K::Int) return "Int cannot represent non-integer value: " + found;
    errno = 0;
    const long long n = std::strtoll(v.text.c_str(), nullptr, 10);
    if (errno == ERANGE || n < -2147483648LL || n > 2147483647LL)
      return "Int cannot represent non 32-bit signed integer value: " + found;
  } else if (type == "Float") {
    if (v.kind != K::Int && v.kind != K::Float) return "Float cannot represent non numeric value: " + found;
  } else if (type == "Boolean") {
    if (v.kind != K::Boolean) return "Boolean cannot represent a non boolean value: " + found;
  } else if (type == "Date") {
    if (v.kind != K::String || !parseDate(v.text)) return "Date must be a date \"YYYY-MM-DD\", found: " + found;
  } else if (type == "Datetime") {
    if (v.kind != K::String || !parseDatetime(v.text))
      return "Datetime must be an RFC 3339 date and time with offset, found: " + found;
  } else if (type == "NaiveDatetime") {
    if (v.kind != K::String || !isNaiveDatetime(v.text))
      return "NaiveDatetime must be \"YYYY-MM-DDTHH:MM:SS\", found: " + found;
  }
  // ProfileDayOfYearXp and ProfileHourOfDayXp are output-only JSON scalars: no argument
  // takes them, so any value is accepted and never used.
  return std::nullopt;
}

}  // namespace

std::optional<std::string> inputValueError(const Value& value, const TypeRef& type) {
  if (value.kind == Value::Kind::Variable) return std::nullopt;
  if (value.kind == Value::Kind::Null) {
    if (type.nonNull()) return "Expected value of type \"" + type.toString() + "\", found null.";
    return std::nullopt;
  }
  const TypeRef nullable = type.nonNull() ? type.inner() : type;
  if (nullable.isList()) {
    const TypeRef item = nullable.inner();
    if (value.kind != Value::Kind::List) return inputValueError(value, item);
    for (const Value& v : value.list)
      if (auto e = inputValueError(v, item)) return e;
    return std::nullopt;
  }
  if (!schema::isInputType(nullable.named)) return "Unknown input type \"" + nullable.named + "\".";
  if (value.kind == Value::Kind::List || value.kind == Value::Kind::Object || value.kind == Value::Kind::Enum)
    if (nullable.named != "ProfileDayOfYearXp" && nullable.named != "ProfileHourOfDayXp")
      return "Expected value of type \"" + type.toString() + "\", found " + printValue(value) + ".";
  if (auto e = scalarError(value, nullable.named))
    return "Expected value of type \"" + type.toString() + "\", found " + printValue(value) + "; " + *e;
  return std::nullopt;
}

std::string printValue(const Value& value) {
  std::string out;
  print(value, out);
  if (out.size() > kMaxPrintedChars) {
    size_t cut = kMaxPrintedChars;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
    out = out.substr(0, cut) + "...";
  }
  return out;
}

bool sameValue(const Value& a, const Value& b) {
  if (a.kind != b.kind || a.text != b.text || a.boolean != b.boolean) return false;
  if (a.list.size() != b.list.size() || a.fields.size() != b.fields.size()) return false;
  for (size_t k = 0; k < a.list.size(); ++k)
    if (!sameValue(a.list[k], b.list[k])) return false;
  for (size_t k = 0; k < a.fields.size(); ++k)
    if (a.fields[k].name != b.fields[k].name || !sameValue(a.fields[k].value, b.fields[k].value)) return false;
  return true;
}

}  // namespace codestats::graphql
