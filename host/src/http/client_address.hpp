// The client address a request is attributed to (logs, GeoIP of front-page pulses, rate
// decisions in modules). Behind nginx every peer is 127.0.0.1; when the peer is one of
// http.trusted_proxies, the address comes from X-Forwarded-For instead: the right-most
// entry that is not itself a trusted proxy (entries further left are client-supplied and
// could be forged).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace codestats::host {

std::string clientAddress(const std::string& peer, std::string_view forwardedFor,
                          const std::vector<std::string>& trustedProxies);

bool isIpAddress(std::string_view text);

}  // namespace codestats::host
