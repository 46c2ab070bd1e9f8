#include "ws/origin_policy.hpp"

#include <stdexcept>

#include "config/config.hpp"

namespace codestats::host {
namespace {

char lowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool isHostChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'; }

std::optional<int> parsePort(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

bool matches(const OriginHost& expected, const OriginHost& origin) {
  return expected.host == origin.host && (expected.port == 0 || expected.port == origin.port);
}

}  // namespace

std::optional<OriginHost> parseOriginHost(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  int defaultPort = 0;
  if (size_t sep = text.find("://"); sep != std::string_view::npos) {
    std::string scheme;
    for (char c : text.substr(0, sep)) scheme += lowerAscii(c);
    if (scheme == "http" || scheme == "ws") defaultPort = 80;
    else if (scheme == "https" || scheme == "wss") defaultPort = 443;
    else return std::nullopt;
    text.remove_prefix(sep + 3);
  }
  text = text.substr(0, text.find_first_of("/?#"));  // base_url may carry a path
  OriginHost out;
  std::string_view portText;
  if (!text.empty() && text.front() == '[') {  // [IPv6]
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    for (char c : text.substr(0, close + 1)) {
      char l = lowerAscii(c);
      if (!(isHostChar(l) || l == ':' || l == '[' || l == ']')) return std::nullopt;
      out.host += l;
    }
    if (out.host.size() < 3) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      portText = rest.substr(1);
      if (portText.empty()) return std::nullopt;
    }
  } else {
    size_t colon = text.find(':');
    std::string_view host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      portText = text.substr(colon + 1);
      if (portText.empty()) return std::nullopt;
    }
    for (char c : host) {
      char l = lowerAscii(c);
      if (!isHostChar(l)) return std::nullopt;  // also '@' (user info) and a second ':'
      out.host += l;
    }
    if (out.host.empty()) return std::nullopt;
  }
  if (!portText.empty()) {
    auto port = parsePort(portText);
    if (!port) return std::nullopt;
    out.port = *port;
  } else {
    out.port = defaultPort;
  }
  return out;
}

OriginPolicy::OriginPolicy(const std::string& baseUrl, const std::vector<std::string>& allowedOrigins) {
  if (!baseUrl.empty()) {
    site_ = parseOriginHost(baseUrl);
    if (!site_ || baseUrl.find("://") == std::string::npos)
      throw std::invalid_argument("modules.web.base_url: expected http(s)://host[:port][/path], got '" + baseUrl + "'");
  }
  for (const auto& entry : allowedOrigins) {
    auto parsed = parseOriginHost(entry);
    if (!parsed)
      throw std::invalid_argument("ws.allowed_origins: expected [http(s)://]host[:port], got '" + entry + "'");
    allowed_.push_back(*parsed);
  }
}

std::shared_ptr<const OriginPolicy> OriginPolicy::fromConfig(const HostConfig& c) {
  // The site's public URL is the web module's setting (absolute links in mail use it too).
  std::string baseUrl;
  auto web = c.moduleSettings.find("web");
  if (web != c.moduleSettings.end()) {
    auto it = web->second.config.find("base_url");
    if (it != web->second.config.end()) baseUrl = it->second;
  }
  try {
    return std::make_shared<const OriginPolicy>(baseUrl, c.wsAllowedOrigins);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("config: ") + e.what());
  }
}

bool OriginPolicy::allows(std::string_view origin, std::string_view hostHeader) const {
  // An Origin is always scheme://host[:port]: "null", "example.org" and the like are refused.
  if (origin.find("://") == std::string_view::npos) return false;
  auto o = parseOriginHost(origin);
  if (!o || origin.find_first_of("/?#", origin.find("://") + 3) != std::string_view::npos) return false;
  if (site_) {
    if (matches(*site_, *o)) return true;
  } else if (auto h = parseOriginHost(hostHeader); h && hostHeader.find("://") == std::string_view::npos) {
    if (matches(*h, *o)) return true;
  }
  for (const auto& a : allowed_)
    if (matches(a, *o)) return true;
  return false;
}

std::string OriginPolicy::describe() const {
  auto show = [](const OriginHost& h) { return h.host + (h.port ? ":" + std::to_string(h.port) : ""); };
  std::string s = site_ ? "the host of modules.web.base_url (" + show(*site_) + ")" : "the request's Host header";
  if (!allowed_.empty()) {
    s += " or ws.allowed_origins (";
    for (size_t i = 0; i < allowed_.size(); ++i) s += (i ? ", " : "") + show(allowed_[i]);
    s += ")";
  }
  return s;
}

}  // namespace codestats::host
