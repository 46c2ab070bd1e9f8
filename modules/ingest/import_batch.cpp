#include "import_batch.hpp"

#include <charconv>
#include <stdexcept>

namespace codestats::ingest {
namespace {

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

class LineReader {
 public:
  LineReader(std::string_view line, size_t number) : line_(line), number_(number) {}
  bool atEnd() const { return pos_ >= line_.size(); }
  // Returns false for "-" (NULL).
  bool next(int64_t& v) {
    if (atEnd()) fail("too few fields");
    size_t end = line_.find(' ', pos_);
    if (end == std::string_view::npos) end = line_.size();
    std::string_view field = line_.substr(pos_, end - pos_);
    pos_ = end + 1;
    if (field == "-") return false;
    auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (ec != std::errc() || p != field.data() + field.size()) fail("not an integer: '" + std::string(field) + "'");
    return true;
  }
  int64_t required() {
    int64_t v = 0;
    if (!next(v)) fail("a required field is '-'");
    return v;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("pulse batch line " + std::to_string(number_) + ": " + why);
  }

 private:
  std::string_view line_;
  size_t number_;
  size_t pos_ = 0;
};

}  // namespace

void setLocalDayHour(common::PulseTime& t) {
  int64_t secs = floorDiv(t.sentAtLocalMs, 1000);
  int64_t day = floorDiv(secs, 86400);
  int64_t y;
  unsigned m, d;
  common::civilFromDays(day, y, m, d);
  t.localDay = static_cast<int32_t>(y * 10000 + m * 100 + d);
  t.localHour = static_cast<int>((secs - day * 86400) / 3600);
}

std::vector<ImportedPulse> parsePulseBatch(std::string_view text) {
  std::vector<ImportedPulse> out;
  size_t number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.empty()) continue;
    LineReader r(line, number);
    ImportedPulse p;
    p.sourceId = r.required();
    p.userId = r.required();
    p.machineId = r.required();
    p.time.sentAtMs = r.required();
    int64_t local = 0, tz = 0;
    bool hasLocal = r.next(local), hasTz = r.next(tz);
    p.insertedAtMs = r.required();
    p.legacy = !hasLocal || !hasTz;
    if (!hasTz) tz = hasLocal ? floorDiv(local - p.time.sentAtMs, 60000) : 0;
    if (!hasLocal) local = p.time.sentAtMs + tz * 60000;
    p.time.sentAtLocalMs = local;
    p.time.tzOffset = static_cast<int>(tz);
    setLocalDayHour(p.time);
    while (!r.atEnd()) {
      ImportedXp x;
      x.languageId = r.required();
      x.originalLanguageId = r.required();
      x.amount = r.required();
      p.xps.push_back(x);
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace codestats::ingest
