#include "pulse_body_samples.hpp"

#include <algorithm>
#include <cstdio>
#include <random>
#include <string_view>

namespace codestats::ingest::samples {
namespace {

std::string wrap(const std::string& xps, const std::string& codedAt = "\"2020-09-01T11:00:00+02:00\"") {
  return "{\"coded_at\":" + codedAt + ",\"xps\":" + xps + "}";
}
std::string item(const std::string& language, const std::string& xp) {
  return "{\"language\":" + language + ",\"xp\":" + xp + "}";
}
std::string nested(int depth, const std::string& inner = "1") {
  std::string s;
  for (int i = 0; i < depth; ++i) s += (i % 2 ? "{\"k\":" : "[");
  s += inner;
  for (int i = depth - 1; i >= 0; --i) s += (i % 2 ? "}" : "]");
  return s;
}

// Generates one pulse body piece by piece; every choice comes from the PRNG.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string body() {
    valid_ = chance(40);  // a pulse that should be accepted, before any mutation
    std::string out = ws() + "{";
    std::vector<std::string> members;
    if (valid_ || chance(90)) members.push_back(member("coded_at", codedAt()));
    if (valid_ || chance(95)) members.push_back(member("xps", xps()));
    int extras = pick(0, 3);
    for (int i = 0; i < extras; ++i) members.push_back(member(extraKey(), anyValue(pick(0, 4))));
    if (chance(10)) members.push_back(member("xps", xps()));  // repeated: the last wins
    if (chance(10)) members.push_back(member("coded_at", codedAt()));
    std::shuffle(members.begin(), members.end(), rng_);
    for (size_t i = 0; i < members.size(); ++i) out += (i ? "," : "") + ws() + members[i] + ws();
    out += "}" + ws();
    if (!valid_ && chance(3)) out += oneOf(kTrailers);
    return out;
  }

  std::string mutate(std::string s) {
    int rounds = pick(1, 3);
    for (int r = 0; r < rounds && !s.empty(); ++r) {
      size_t at = static_cast<size_t>(pick(0, static_cast<int>(s.size()) - 1));
      switch (pick(0, 5)) {
        case 0: s.resize(at); break;                                          // truncation
        case 1: s[at] = static_cast<char>(s[at] ^ (1 << pick(0, 7))); break;  // bit flip
        case 2: s.insert(at, 1, kSignificant[static_cast<size_t>(pick(0, sizeof kSignificant - 2))]); break;
        case 3: s.erase(at, 1); break;
        case 4: s.insert(at, s.substr(at, static_cast<size_t>(pick(1, 12)))); break;  // duplicated slice
        default: s.insert(at, oneOf(kFragments)); break;
      }
    }
    return s;
  }

  bool chance(int percent) { return pick(0, 99) < percent; }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <size_t N>
  std::string oneOf(const std::string_view (&options)[N]) {
    return std::string(options[static_cast<size_t>(pick(0, N - 1))]);
  }

  // Mostly valid choices even in an invalid body, so that it has one or two faults, not ten.
  bool validPick() { return valid_ || chance(75); }
  std::string extraKey() { return valid_ ? std::string(kExtraKeys[pick(0, 5)]) : oneOf(kExtraKeys); }

  std::string ws() {
    if (!chance(20)) return "";
    static constexpr std::string_view kSpaces[] = {" ", "\n", "\t", "\r\n", "  "};
    if (!valid_ && chance(3)) return chance(50) ? "\f" : "\v";  // not JSON whitespace
    return oneOf(kSpaces);
  }
  std::string member(const std::string& key, const std::string& value) {
    std::string k = key;
    if (!k.empty() && chance(3)) k = escapeFirst(k);
    if (chance(2)) k += "\\u0000x";  // Poco cut keys at a NUL
    return "\"" + k + "\"" + ws() + ":" + ws() + value;
  }
  static std::string escapeFirst(const std::string& s) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(s[0]));
    return buf + s.substr(1);
  }

  std::string codedAt() {
    static constexpr std::string_view kCodedAt[] = {"\"2020-09-01T11:00:00+02:00\"",
                                                    "\"2020-09-01T10:00:00Z\"",
                                                    "\"2020-08-30T10:00:00-05:30\"",
                                                    "\"2020-09-01T10:00:00\"",
                                                    "\"2020-08-01T10:00:00Z\"",
                                                    "\"2020-09-01T10:00:00+2:00\"",
                                                    "\"2020-09-01 10:00:00.123Z\"",
                                                    "\"2020-09-02T10:00:00Z\"",
                                                    "\"x\"",
                                                    "\"\"",
                                                    "1",
                                                    "null",
                                                    "true",
                                                    "[]",
                                                    "{}",
                                                    "\"2020-09-01T10:00:00Z\\u0000\"",
                                                    "\"2020\\u002d09-01T10:00:00Z\"",
                                                    "\"2025-11-25T10:00:00+02:00\""};
    return validPick() ? std::string(kCodedAt[pick(0, 2)]) : oneOf(kCodedAt);
  }
  std::string xps() {
    if (!valid_ && chance(8)) return anyValue(1);
    int n = chance(2) ? pick(998, valid_ ? 1000 : 1002) : pick(0, 4);
    std::string out = "[" + ws();
    for (int i = 0; i < n; ++i) out += (i ? "," : "") + ws() + xpItem() + ws();
    return out + "]";
  }
  std::string xpItem() {
    if (!valid_ && chance(5)) return anyValue(1);
    std::vector<std::string> fields;
    if (valid_ || chance(95)) fields.push_back(member("language", language()));
    if (valid_ || chance(95)) fields.push_back(member("xp", xp()));
    if (chance(15)) fields.push_back(member(oneOf(kExtraKeys), anyValue(pick(0, 2))));
    if (chance(8)) fields.push_back(member("xp", xp()));
    if (chance(8)) fields.push_back(member("language", language()));
    std::shuffle(fields.begin(), fields.end(), rng_);
    std::string out = "{";
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
    return out + "}";
  }
  std::string language() {
    static constexpr std::string_view kLanguages[] = {"\"C++\"",
                                                      "\" Elixir \"",
                                                      "\"\"",
                                                      "\"   \"",
                                                      "\"\\t x \\n\"",
                                                      "\"\\u00e9l\\u00E9\"",
                                                      "\"\\ud83d\\ude02\"",
                                                      "\"日本語\"",
                                                      "\"a\\u0000b\"",
                                                      "\"\\udc00\"",
                                                      "\"\\ud800\"",
                                                      "\"\\ud800\\u0041\"",
                                                      "\"\\/\\\\\\\"\\b\\f\\r\"",
                                                      "\"\\x\"",
                                                      "1",
                                                      "null",
                                                      "[\"C\"]",
                                                      "{\"a\":1}",
                                                      "\"\\u0020\\u00a0x\""};
    if (validPick()) return std::string(kLanguages[pick(0, 7)]);
    if (chance(3)) {
      std::string unit = chance(50) ? "a" : "\\u00e9";
      return "\"" + repeat(unit, pick(254, 257)) + "\"";
    }
    return oneOf(kLanguages);
  }
  static std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  }
  std::string xp() {
    static constexpr std::string_view kXps[] = {"0",
                                                "1",
                                                "15",
                                                "-0",
                                                "2147483647",
                                                "-1",
                                                "2147483648",
                                                "1.0",
                                                "1.5",
                                                "1e2",
                                                "1E+2",
                                                "10e-1",
                                                "-0.0",
                                                "0.0",
                                                "\"5\"",
                                                "true",
                                                "false",
                                                "null",
                                                "[]",
                                                "{}",
                                                "9223372036854775807",
                                                "9223372036854775808",
                                                "-9223372036854775808",
                                                "18446744073709551615",
                                                "99999999999999999999",
                                                "1e999",
                                                "-1e999",
                                                "1e-999",
                                                "4e-320",
                                                "1.7976931348623157e308",
                                                "1.7976931348623159e308",
                                                "01",
                                                "1.",
                                                ".5",
                                                "+1",
                                                "-",
                                                "1e",
                                                "NaN",
                                                "Infinity",
                                                "0x10"};
    return validPick() ? std::string(kXps[pick(0, 4)]) : oneOf(kXps);
  }
  std::string anyValue(int depth) {
    static constexpr std::string_view kScalars[] = {"null",
                                                    "true",
                                                    "false",
                                                    "0",
                                                    "-12",
                                                    "3.25",
                                                    "1e5",
                                                    "\"s\"",
                                                    "\"\\u00e9\"",
                                                    "\"\\uD834\\uDD1E\"",
                                                    "\"\"",
                                                    "18446744073709551615",
                                                    "-9223372036854775808",
                                                    "1e-999",
                                                    "[]",
                                                    "{}",
                                                    "99999999999999999999",
                                                    "1e999"};
    if (depth <= 0 || chance(40)) return validPick() ? std::string(kScalars[pick(0, 15)]) : oneOf(kScalars);
    if (chance(3)) return nested(valid_ ? pick(100, 126) : pick(120, 130));  // around Poco's nesting limit (128)
    int n = pick(0, 3);
    bool object = chance(50);
    std::string out = object ? "{" : "[";
    for (int i = 0; i < n; ++i) {
      out += i ? "," : "";
      if (object) out += member(chance(30) ? oneOf(kPulseKeys) : oneOf(kExtraKeys), anyValue(depth - 1));
      else out += anyValue(depth - 1);
    }
    return out + (object ? "}" : "]");
  }

  static constexpr std::string_view kExtraKeys[] = {"extra", "x",         "",         "editor",
                                                    "Xps",   "coded_at ", "\\u0078ps"};  // the last is "xps"
  static constexpr std::string_view kPulseKeys[] = {"xps", "coded_at", "language", "xp"};
  static constexpr std::string_view kTrailers[] = {" x", "{}", ",", "\n\n", "/* c */", "]"};
  static constexpr std::string_view kFragments[] = {
      ",", ":", "\"", "\\u", "\\ud800",      "[",    "]",    "{", "}",          "null",           "1e9",
      "-", ".", "//", "/*",  "\xef\xbb\xbf", "\xc3", "\xff", " ", "\"xps\":[]", "\"coded_at\":1", "\\u0000"};
  static constexpr char kSignificant[] = "{}[]\",:\\-.eE+0 \t\n/*";

  std::mt19937 rng_;
  bool valid_ = false;
};

}  // namespace

std::vector<std::string> edgeCases() {
  std::vector<std::string> out = {
      // pulse_body_test.cpp
      wrap(R"([{"language":" C++ ","xp":15},{"language":"Elixir","xp":30,"x":1}])"),
      wrap("[]"),
      wrap(R"([{"language":"   ","xp":0}])"),
      wrap(R"([{"language":"x","xp":2147483647}])"),
      "{\n  \"coded_at\": \"2020-09-01T10:00:00Z\",\n  \"xps\": [],\n  \"extra\": 1\n}",
      R"({"xps":[]})",
      "not json",
      "[]",
      "\"x\"",
      "",
      "{\"coded_at\":\"x\",\"xps\":[\xff]}",
      R"({"coded_at":"2020-09-01T10:00:00Z"})",
      wrap(R"({"language":"x","xp":1})"),
      wrap(R"([{"xp":-1}])", "1"),
      wrap("[]", "null"),
      wrap("[]", "\"2020-09-01T10:00:00\""),
      wrap("[]", "\"2020-08-01T10:00:00Z\""),
      wrap("[]", "\"2020-09-01T10:00:00+2:00\""),
      // JSON forms
      " \t\r\n{\"coded_at\":\"2020-09-01T10:00:00Z\",\"xps\":[]}\r\n",
      "{\"coded_at\":\"2020-09-01T10:00:00Z\",\"xps\":[]}\f",
      "\v{\"coded_at\":\"2020-09-01T10:00:00Z\",\"xps\":[]}",
      "\xef\xbb\xbf{\"coded_at\":\"2020-09-01T10:00:00Z\",\"xps\":[]}",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[]})" + std::string(1, '\0') + "x",
      wrap("[" + item("\"a" + std::string(1, '\0') + "b\"", "1") + "]"),
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[]} {})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[{"language":"a","xp":1},]})",
      R"({"coded_at":"2020-09-01T10:00:00Z",/*c*/"xps":[]})",
      "{\"coded_at\":\"2020-09-01T10:00:00Z\",//c\n\"xps\":[]}",
      R"({'coded_at':"2020-09-01T10:00:00Z","xps":[]})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[]})",
      R"({"xps":[{"xp":1,"language":"a"}],"coded_at":"2020-09-01T10:00:00Z"})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[{"language":"a","xp":1}],"xps":5})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":5,"xps":[{"language":"b","xp":1}]})",
      R"({"coded_at":5,"xps":[],"coded_at":"2020-09-01T10:00:00Z"})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[{"language":"a","xp":1,"language":"b","xp":2}]})",
      R"({"coded_at\u0000":"2020-09-01T10:00:00Z","xps":[{"language\u0000x":"ab","xp":1}]})",
      R"({"coded_at":"2020-09-01T10:00:00Z\u0000","xps":[]})",
      R"({"\u0063oded_at":"2020-09-01T10:00:00Z","\u0078ps":[{"langu\u0061ge":"\u00e9","\u0078p":1}]})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[{"language":"\ud83d\ude02 \u00e9 \u00E9","xp":1}]})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],"n":"\udc00"})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],"\udc00":1})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],"n":"\ud800"})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],"n":"\ud800\u0041"})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],"n":"\u00"})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],"n":"\U0041"})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],"n":tru})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],"n":True})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[] "n":1})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[],1:2})",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[]})"
      "\t",
      "{}",
      "{",
      "}",
      "[{}]",
      "null",
      "1",
      "{\"xps\":[]",
      R"({"coded_at":"2020-09-01T10:00:00Z","xps":[{"language":"a","xp":1}],"n":[[[[{"a":[1,{"b":null}]}]]]]})",
      wrap(R"([{"language":"ok","xp":1},{"language":"x","xp":-1}])", "\"2020-08-01T10:00:00Z\""),
  };
  // numbers, as xp and as an ignored value
  for (const char* n : {"-0",
                        "0",
                        "1",
                        "2147483647",
                        "2147483648",
                        "-1",
                        "1.0",
                        "1e2",
                        "1E+2",
                        "1e-2",
                        "-0.0",
                        "9223372036854775807",
                        "9223372036854775808",
                        "9223372036854775809",
                        "-9223372036854775808",
                        "18446744073709551615",
                        "-18446744073709551616",
                        "99999999999999999999999",
                        "1e999",
                        "-1e999",
                        "1e-999",
                        "4e-320",
                        "2.4e-324",
                        "1.7976931348623157e308",
                        "1.7976931348623158e308",
                        "1.7976931348623159e308",
                        "10e307",
                        "10e308",
                        "0.001e309",
                        "01",
                        "00",
                        "-",
                        "1.",
                        ".5",
                        "+1",
                        "1e",
                        "NaN",
                        "Infinity",
                        "-Infinity",
                        "0x1"}) {
    out.push_back(wrap("[" + item("\"a\"", n) + "]"));
    out.push_back(wrap("[" + item("\"a\"", "1") + "]", "\"2020-09-01T10:00:00Z\",\"n\":" + std::string(n)));
  }
  // nesting around Poco's limit of 128 open objects/arrays, in an ignored value and in an item
  for (int depth : {1, 2, 125, 126, 127, 128, 129, 200}) {
    out.push_back(wrap("[]", "\"2020-09-01T10:00:00Z\",\"n\":" + nested(depth)));
    out.push_back(wrap("[" + item("\"a\"", "1") + "," + nested(depth) + "]"));
    out.push_back(wrap("[" + item(nested(depth, "\"a\""), "1") + "]"));
  }
  // item cap and language length
  for (int n : {999, 1000, 1001}) {
    std::string list = "[";
    for (int i = 0; i < n; ++i) list += std::string(i ? "," : "") + item("\"x\"", "1");
    out.push_back(wrap(list + "]"));
    out.push_back(wrap(list + "]", "\"2020-08-01T10:00:00Z\""));
  }
  for (int n : {254, 255, 256}) {
    std::string a(static_cast<size_t>(n), 'a'), e;
    for (int i = 0; i < n; ++i) e += "\xC3\xA9";
    out.push_back(wrap("[" + item("\"" + a + "\"", "1") + "]"));
    out.push_back(wrap("[" + item("\"  " + e + "  \"", "1") + "]"));
  }
  return out;
}

std::vector<std::string> generated(uint32_t seed, size_t count) {
  Generator g(seed);
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string body = g.body();
    out.push_back(g.chance(50) ? g.mutate(std::move(body)) : std::move(body));
  }
  return out;
}

}  // namespace codestats::ingest::samples
