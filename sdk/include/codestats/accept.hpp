// HTTP `Accept` negotiation shared by modules and the host (header-only, no dependencies):
// whether a response type is acceptable (the original's 406 rule, spec §2.2), and which form
// an error answer takes for a client (an HTML page for browsers, JSON for API clients).
// Inline functions without static locals: safe in modules built with -fno-gnu-unique.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace codestats {

namespace accept_detail {

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The q parameter of one media range's parameters (";q=0.5"): 1 when absent, 0 for q=0.
inline double quality(std::string_view params) {
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      double q = 0, scale = 1;
      bool fraction = false;
      for (char c : p.substr(2)) {
        if (c == '.' && !fraction) {
          fraction = true;
        } else if (c >= '0' && c <= '9') {
          if (fraction) q += (scale /= 10) * (c - '0');
          else q = q * 10 + (c - '0');
        } else {
          break;
        }
      }
      return q > 1 ? 1 : q;
    }
  }
  return 1;
}

// Calls fn(media range lower-cased, q) for each element of an Accept header.
template <typename Fn>
void eachRange(std::string_view accept, Fn fn) {
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    size_t semi = item.find(';');
    std::string media = lower(trim(item.substr(0, semi)));
    if (media.empty()) continue;
    fn(media, semi == std::string_view::npos ? 1.0 : quality(item.substr(semi + 1)));
  }
}

}  // namespace accept_detail

// Whether `type` ("text/html", "application/json") may be sent: no header (or an empty one),
// or a range naming it exactly, as `family/*` or `*/*`, with q > 0. Parameters other than q
// are ignored.
inline bool acceptAllows(std::optional<std::string_view> accept, std::string_view type) {
  if (!accept || accept_detail::trim(*accept).empty()) return true;
  std::string wanted = accept_detail::lower(type);
  std::string family = wanted.substr(0, wanted.find('/')) + "/*";
  bool allowed = false;
  accept_detail::eachRange(*accept, [&](const std::string& media, double q) {
    if (q > 0 && (media == wanted || media == family || media == "*/*")) allowed = true;
  });
  return allowed;
}

// The form of an error answer for a request whose route does not say (an unknown path, a
// wrong method, a failure of the route's handler): Html when the client names an HTML type
// (text/html, application/xhtml+xml) with q > 0 and no JSON type (application/json) higher;
// Json otherwise, including no header and `*/*` (editor plugins, curl, fetch()). Browsers
// name text/html when they load a page, API clients do not.
enum class ErrorForm { Html, Json };
inline ErrorForm errorForm(std::optional<std::string_view> accept) {
  if (!accept) return ErrorForm::Json;
  double html = 0, json = 0;
  accept_detail::eachRange(*accept, [&](const std::string& media, double q) {
    if ((media == "text/html" || media == "application/xhtml+xml") && q > html) html = q;
    if (media == "application/json" && q > json) json = q;
  });
  return html > 0 && html >= json ? ErrorForm::Html : ErrorForm::Json;
}

}  // namespace codestats
