#include "http/redaction.hpp"

#include <array>
#include <cctype>

namespace codestats::host {

namespace {

// Path prefixes whose next segment is a bearer secret (spec §2: password reset links).
constexpr std::array<std::string_view, 1> kSecretSegmentAfter{"/reset-password/"};

}  // namespace

bool isSecretParameterName(std::string_view name) {
  std::string l;
  for (char c : name) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::array<std::string_view, 8> kParts{"token", "pass", "secret",  "key",
                                                          "auth",  "sig",  "session", "csrf"};
  for (auto p : kParts)
    if (l.find(p) != std::string::npos) return true;
  return false;
}

std::string redactTarget(std::string_view target) {
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string out;
  out.reserve(target.size());
  size_t cut = std::string_view::npos;
  for (auto prefix : kSecretSegmentAfter) {
    size_t at = path.find(prefix);
    if (at != std::string_view::npos && at + prefix.size() < path.size()) {
      cut = at + prefix.size();
      break;
    }
  }
  if (cut == std::string_view::npos) {
    out += path;
  } else {
    out += path.substr(0, cut);
    out += kRedacted;
    size_t rest = path.find('/', cut);
    if (rest != std::string_view::npos) out += path.substr(rest);
  }
  if (q == std::string_view::npos) return out;
  out += '?';
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && isSecretParameterName(pair.substr(0, eq))) {
      out += pair.substr(0, eq + 1);
      out += kRedacted;
    } else {
      out += pair;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace codestats::host
