// Which browser pages may open a live-update socket, like Phoenix's check_origin: a
// WebSocket upgrade is not bound by the same-origin policy, so without this check any page
// on any site could open sockets to this server from its visitors' browsers.
//
// An upgrade without an Origin header is allowed (editor plugins, the node phoenix client,
// anything that is not a browser page). One with an Origin is allowed when the Origin's
// host and port match
//   - the site: modules.web.base_url, or, when that is not set, the request's Host header,
//   - or an entry of ws.allowed_origins.
// Host names compare case-insensitively; the scheme itself is not compared (TLS usually
// ends at nginx, so the host cannot tell http from https), only the port it implies: http
// and ws 80, https and wss 443, unless a port is written. A Host header or an allow-list
// entry without a scheme and without a port matches any port (nginx's `Host $host` drops
// the port). Anything else in an Origin (`null`, another scheme, user info) is refused.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::host {

struct HostConfig;

struct OriginHost {
  std::string host;  // lower case; an IPv6 address keeps its brackets
  int port = 0;      // 0: any port
  bool operator==(const OriginHost&) const = default;
};

// "https://Example.org/x" -> {example.org, 443}; "http://h:8080" -> {h, 8080};
// "h:8080" -> {h, 8080}; "h" -> {h, any}. nullopt for anything else.
std::optional<OriginHost> parseOriginHost(std::string_view text);

class OriginPolicy {
 public:
  // baseUrl empty: the request's Host header names the site. Throws std::invalid_argument
  // naming the value that does not parse.
  OriginPolicy(const std::string& baseUrl, const std::vector<std::string>& allowedOrigins);
  // From modules.web.base_url and ws.allowed_origins; throws ConfigError naming the key.
  static std::shared_ptr<const OriginPolicy> fromConfig(const HostConfig& config);

  // origin: the Origin header's value, when the request has one.
  bool allows(std::string_view origin, std::string_view hostHeader) const;
  // What an Origin must match, for the refusal's log line.
  std::string describe() const;

 private:
  std::optional<OriginHost> site_;
  std::vector<OriginHost> allowed_;
};

}  // namespace codestats::host
