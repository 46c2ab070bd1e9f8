#include "validation.hpp"

#include "forms.hpp"

namespace codestats::web {
namespace {

// Decodes one code point at s[i] (valid UTF-8 assumed) and advances i.
uint32_t nextCodePoint(std::string_view s, size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

bool extendsPrevious(uint32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
         (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xFE20 && cp <= 0xFE2F) ||
         cp == 0x200D || (cp >= 0x1F3FB && cp <= 0x1F3FF) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

bool hasControl(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

void checkLength(std::string_view v, size_t min, size_t max, const std::string& field, FieldErrors& errors) {
  size_t n = graphemeLength(v);
  if (n < min) errors[field].push_back(tooShort(min));
  if (n > max) errors[field].push_back(tooLong(max));
}

}  // namespace

std::string tooShort(size_t count) { return "should be at least " + std::to_string(count) + " character(s)"; }
std::string tooLong(size_t count) { return "should be at most " + std::to_string(count) + " character(s)"; }

size_t graphemeLength(std::string_view s) {
  size_t n = 0;
  bool joinNext = false;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = nextCodePoint(s, i);
    if (n > 0 && (extendsPrevious(cp) || joinNext)) {
      joinNext = cp == 0x200D;
      continue;
    }
    joinNext = false;
    ++n;
  }
  return n;
}

bool isBlank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
  return true;
}

void validateUsername(const std::optional<std::string>& v, FieldErrors& errors, const std::string& field) {
  if (!v || isBlank(*v)) {
    errors[field].push_back(kBlank);
    return;
  }
  if (!validUtf8(*v) || hasControl(*v) || v->find_first_of("/#%?&=+") != std::string::npos) {
    errors[field].push_back(kInvalidFormat);
    if (!validUtf8(*v)) return;
  }
  checkLength(*v, 1, 64, field, errors);
}

void validatePassword(const std::optional<std::string>& v, FieldErrors& errors, const std::string& field) {
  if (!v || v->empty()) {
    errors[field].push_back(kBlank);
    return;
  }
  if (!validUtf8(*v)) {
    errors[field].push_back(kInvalidFormat);
    return;
  }
  checkLength(*v, 6, 255, field, errors);
}

void validateEmail(const std::optional<std::string>& v, FieldErrors& errors, const std::string& field) {
  if (!v || v->empty()) return;
  if (!validUtf8(*v)) {
    errors[field].push_back(kInvalidFormat);
    return;
  }
  checkLength(*v, 3, 255, field, errors);
  // ^.+@.+$ where '.' matches no newline: some text, '@', some text, all on one line.
  size_t at = v->find('@');
  bool ok = at != std::string::npos && at > 0 && at + 1 < v->size() && !hasControl(*v);
  if (!ok) errors[field].push_back(kInvalidFormat);
}

void validateMachineName(const std::optional<std::string>& v, FieldErrors& errors, const std::string& field) {
  if (!v || isBlank(*v)) {
    errors[field].push_back(kBlank);
    return;
  }
  if (!validUtf8(*v) || hasControl(*v)) {
    errors[field].push_back(kInvalidFormat);
    if (!validUtf8(*v)) return;
  }
  checkLength(*v, 1, 64, field, errors);
}

}  // namespace codestats::web
