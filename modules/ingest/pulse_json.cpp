#include "pulse_json.hpp"

#include <rapidjson/allocators.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <cstring>
#include <iterator>
#include <limits>
#include <system_error>

#include <codestats/text.hpp>

namespace codestats::ingest {
namespace {

using rapidjson::SizeType;

enum class ValueKind : uint8_t { Null, Bool, Number, String, Object, Array };
// What the value being read is to the pulse.
enum class Slot : uint8_t { None, Root, CodedAt, Xps, Item, Language, Xp };
// What an open object or array is to the pulse.
enum class Container : uint8_t { Root, XpsList, Item, Other };

// Decimal exponent of the first significant digit of a JSON number (1 for 12.5, -3 for
// 0.00125), saturated far beyond the double range. Meaningless for zero.
int64_t leadingDigitExponent(std::string_view num) {
  size_t i = num.empty() || num[0] != '-' ? 0 : 1;
  int64_t e10 = 0;
  bool significant = false;
  for (; i < num.size() && num[i] >= '0' && num[i] <= '9'; ++i) {
    if (significant) ++e10;
    else significant = num[i] != '0';
  }
  if (i < num.size() && num[i] == '.') {
    int64_t place = 0;
    for (++i; i < num.size() && num[i] >= '0' && num[i] <= '9'; ++i) {
      --place;
      if (!significant && num[i] != '0') significant = true, e10 = place;
    }
  }
  int64_t exp = 0;
  bool negativeExp = false;
  if (i < num.size() && (num[i] == 'e' || num[i] == 'E')) {
    ++i;
    if (i < num.size() && (num[i] == '+' || num[i] == '-')) negativeExp = num[i++] == '-';
    for (; i < num.size() && num[i] >= '0' && num[i] <= '9'; ++i)
      if (exp < 1'000'000'000'000) exp = exp * 10 + (num[i] - '0');
  }
  return e10 + (negativeExp ? -exp : exp);
}

// Poco refused a number beyond the double range (1e999) but took one that underflows
// (1e-999): from_chars reports both as out of range, the exponent tells which.
bool overflowsDouble(std::string_view num) {
  double d = 0;
  auto r = std::from_chars(num.data(), num.data() + num.size(), d);
  return r.ec == std::errc::result_out_of_range && leadingDigitExponent(num) > 0;
}

// An integer literal as Poco read it: int64 when negative, uint64 otherwise; false beyond.
// `value` is clamped to int64 above.
bool readIntegerLiteral(std::string_view num, int64_t& value) {
  bool negative = !num.empty() && num[0] == '-';
  std::string_view digits = num.substr(negative ? 1 : 0);
  uint64_t magnitude = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return false;
  constexpr auto kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (magnitude > kInt64Max + 1) return false;
    value = static_cast<int64_t>(0 - magnitude);  // -2^63 included
  } else {
    value = static_cast<int64_t>(magnitude > kInt64Max ? kInt64Max : magnitude);
  }
  return true;
}

// rapidjson SAX handler: follows the nesting and fills PulseJson. Returning false stops the
// reader, and the body is then malformed.
class PulseJsonHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, PulseJsonHandler> {
 public:
  PulseJsonHandler(size_t keepItems, PulseJson& out) : keepItems_(keepItems), out_(out) {}

  bool Null() { return value(ValueKind::Null); }
  bool Bool(bool) { return value(ValueKind::Bool); }
  bool RawNumber(const char* text, SizeType length, bool) {
    std::string_view num(text, length);
    if (num.find_first_of(".eE") != std::string_view::npos) return !overflowsDouble(num) && value(ValueKind::Number);
    int64_t integer = 0;
    return readIntegerLiteral(num, integer) && value(ValueKind::Number, {}, true, integer);
  }
  bool String(const char* text, SizeType length, bool) {
    std::string_view s(text, length);
    // rapidjson decodes a lone low surrogate (\udc00) into invalid UTF-8; Poco refused it.
    return validUtf8(s) && value(ValueKind::String, s);
  }
  bool Key(const char* text, SizeType length, bool) {
    std::string_view key(text, length);
    if (!validUtf8(key)) return false;
    key = key.substr(0, key.find('\0'));
    switch (innermost()) {
      case Container::Root: field_ = key == "coded_at" ? Slot::CodedAt : key == "xps" ? Slot::Xps : Slot::None; break;
      case Container::Item: field_ = key == "language" ? Slot::Language : key == "xp" ? Slot::Xp : Slot::None; break;
      default: break;
    }
    return true;
  }
  bool StartObject() { return open(ValueKind::Object); }
  bool EndObject(SizeType) { return close(); }
  bool StartArray() { return open(ValueKind::Array); }
  bool EndArray(SizeType) { return close(); }

 private:
  Container innermost() const { return depth_ < std::size(containers_) ? containers_[depth_] : Container::Other; }

  Slot slot() const {
    if (depth_ == 0) return Slot::Root;
    switch (innermost()) {
      case Container::Root:
      case Container::Item: return field_;
      case Container::XpsList: return Slot::Item;
      case Container::Other: break;
    }
    return Slot::None;
  }

  bool value(ValueKind kind, std::string_view text = {}, bool integer = false, int64_t integerValue = 0) {
    switch (slot()) {
      case Slot::Root: return kind == ValueKind::Object;  // anything else is no pulse: stop
      case Slot::CodedAt:
        out_.hasCodedAt = true;
        out_.codedAtIsString = kind == ValueKind::String;
        out_.codedAt.assign(text);
        break;
      case Slot::Xps:  // a repeated "xps" replaces the earlier one
        out_.hasXps = true;
        out_.xpsIsList = kind == ValueKind::Array;
        out_.xpsCount = 0;
        out_.xps.clear();
        break;
      case Slot::Item:
        keptItem_ = ++out_.xpsCount <= keepItems_;
        if (keptItem_) out_.xps.emplace_back().isObject = kind == ValueKind::Object;
        break;
      case Slot::Language: {
        JsonXpItem& item = out_.xps.back();
        item.hasLanguage = true;
        item.languageIsString = kind == ValueKind::String;
        item.language.assign(text);
        break;
      }
      case Slot::Xp: {
        JsonXpItem& item = out_.xps.back();
        item.hasXp = true;
        item.xpIsInteger = integer;
        item.xp = integerValue;
        break;
      }
      case Slot::None: break;
    }
    return true;
  }

  bool open(ValueKind kind) {
    Slot s = slot();
    if (!value(kind) || ++depth_ > kMaxJsonDepth) return false;
    if (depth_ < std::size(containers_)) {
      Container c = Container::Other;
      if (s == Slot::Root) c = Container::Root;
      else if (s == Slot::Xps && kind == ValueKind::Array) c = Container::XpsList;
      else if (s == Slot::Item && kind == ValueKind::Object && keptItem_) c = Container::Item;
      containers_[depth_] = c;
    }
    return true;
  }

  bool close() {
    --depth_;
    return true;
  }

  size_t keepItems_;
  PulseJson& out_;
  size_t depth_ = 0;  // open objects and arrays
  // What the open containers at depths 1-3 are (root, xps list, item); deeper ones are Other.
  Container containers_[4] = {Container::Other, Container::Other, Container::Other, Container::Other};
  Slot field_ = Slot::None;  // the last key's slot, in the root or an item
  bool keptItem_ = false;    // the current xps element is stored in out_.xps
};

}  // namespace

bool readPulseJson(std::string_view body, size_t keepItems, PulseJson& out) {
  if (std::memchr(body.data(), '\0', body.size()) != nullptr) return false;
  // The reader's stack (nesting, the string being decoded) lives in this arena; it spills to
  // the heap only for unusually long strings or deep nesting.
  alignas(16) char arena[2048];
  rapidjson::MemoryPoolAllocator<> allocator(arena, sizeof arena);
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>> reader(&allocator);
  rapidjson::MemoryStream stream(body.data(), body.size());
  PulseJsonHandler handler(keepItems, out);
  // Iterative: no recursion, whatever the nesting. Numbers as text: read as Poco read them.
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
  return !reader.Parse<kFlags>(stream, handler).IsError();
}

}  // namespace codestats::ingest
