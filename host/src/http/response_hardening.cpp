#include "http/response_hardening.hpp"

#include <algorithm>
#include <cctype>

namespace codestats::host {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has(const HeaderList& h, std::string_view name) {
  return std::any_of(h.begin(), h.end(), [&](const auto& kv) { return headerNameEquals(kv.first, name); });
}

const std::string* find(const HeaderList& h, std::string_view name) {
  for (const auto& [k, v] : h)
    if (headerNameEquals(k, name)) return &v;
  return nullptr;
}

// Cookie attribute names, lower case, after the name=value pair.
bool hasAttribute(const std::string& lowered, std::string_view attr) {
  size_t pos = lowered.find(';');
  while (pos != std::string::npos) {
    size_t start = pos + 1;
    while (start < lowered.size() && lowered[start] == ' ') ++start;
    size_t end = lowered.find(';', start);
    std::string_view part(lowered.data() + start, (end == std::string::npos ? lowered.size() : end) - start);
    std::string_view key = part.substr(0, part.find('='));
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    if (key == attr) return true;
    pos = end;
  }
  return false;
}

}  // namespace

bool headerNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string hardenCookie(std::string_view setCookie, bool secureCookies) {
  std::string out(setCookie);
  std::string l = lower(setCookie);
  if (!hasAttribute(l, "httponly")) out += "; HttpOnly";
  if (!hasAttribute(l, "samesite")) out += "; SameSite=Lax";
  if (secureCookies && !hasAttribute(l, "secure")) out += "; Secure";
  return out;
}

void hardenResponseHeaders(HeaderList& headers, bool secureCookies) {
  for (auto& [k, v] : headers)
    if (headerNameEquals(k, "Set-Cookie")) v = hardenCookie(v, secureCookies);
  if (!has(headers, "X-Content-Type-Options")) headers.emplace_back("X-Content-Type-Options", "nosniff");
  const std::string* type = find(headers, "Content-Type");
  if (!type || lower(*type).rfind("text/html", 0) != 0) return;
  if (!has(headers, "Content-Security-Policy"))
    headers.emplace_back("Content-Security-Policy", std::string(kHtmlContentSecurityPolicy));
  if (!has(headers, "Referrer-Policy")) headers.emplace_back("Referrer-Policy", "strict-origin-when-cross-origin");
  if (!has(headers, "X-Frame-Options")) headers.emplace_back("X-Frame-Options", "DENY");
}

}  // namespace codestats::host
