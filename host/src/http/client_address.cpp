#include "http/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace codestats::host {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool trusted(std::string_view ip, const std::vector<std::string>& list) {
  return std::find(list.begin(), list.end(), ip) != list.end();
}

}  // namespace

bool isIpAddress(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string clientAddress(const std::string& peer, std::string_view forwardedFor,
                          const std::vector<std::string>& trustedProxies) {
  if (trustedProxies.empty() || forwardedFor.empty() || !trusted(peer, trustedProxies)) return peer;
  std::string_view rest = forwardedFor;
  while (!rest.empty()) {
    size_t comma = rest.rfind(',');
    std::string_view entry = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (!isIpAddress(entry)) return peer;  // garbage: do not guess
    if (!trusted(entry, trustedProxies)) return std::string(entry);
  }
  return peer;
}

}  // namespace codestats::host
