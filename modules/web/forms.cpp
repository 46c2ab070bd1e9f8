#include "forms.hpp"

#include "common/ascii.hpp"

namespace codestats::web {
Form parseForm(std::string_view body) {
  Form form;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = urlDecode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? std::string() : urlDecode(pair.substr(eq + 1), true);
    form[std::move(key)] = std::move(value);
  }
  return form;
}

std::map<std::string, std::string> parseCookies(std::string_view header) {
  std::map<std::string, std::string> out;
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view part = common::trimSpaceTab(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view value = common::trimSpaceTab(part.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    out.emplace(std::string(common::trimSpaceTab(part.substr(0, eq))), std::string(value));
  }
  return out;
}

std::string encodePathSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace codestats::web
