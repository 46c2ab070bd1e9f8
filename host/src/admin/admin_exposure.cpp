#include "admin/admin_exposure.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "config/config.hpp"

namespace codestats::host {

bool isLoopbackHost(std::string_view host) {
  std::string h(host);
  for (auto& c : h) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (h == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string adminExposureProblem(const HostConfig& c, const std::string& token, const std::string& tokenSource) {
  if (!c.adminAllowPublic && !isLoopbackHost(c.adminHost))
    return "admin.host: '" + c.adminHost +
           "' is not a loopback address (127.0.0.0/8, ::1, localhost); the admin API loads code into the "
           "process. Reach it through an SSH tunnel, or set admin.allow_public = true to listen there anyway";
  if (!c.adminAllowShortToken && token.size() < kMinAdminTokenBytes)
    return "admin.token: the admin token from " + tokenSource + " is " + std::to_string(token.size()) +
           " bytes; at least " + std::to_string(kMinAdminTokenBytes) +
           " are required. Remove it to have a random one generated (into admin.token_file), or set "
           "admin.allow_short_token = true";
  return {};
}

}  // namespace codestats::host
