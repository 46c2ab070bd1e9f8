// Security defaults the host adds to module responses, so that no module has to remember
// them (docs/operations.md, "Security"):
//  - every response: X-Content-Type-Options: nosniff;
//  - HTML responses: a Content-Security-Policy that allows scripts, styles, images and
//    connections (including the live-update WebSocket) from the same origin only, no
//    framing, a Referrer-Policy and X-Frame-Options for older browsers;
//  - every Set-Cookie: HttpOnly and SameSite=Lax unless the module chose a SameSite, and
//    Secure when http.secure_cookies is on (the site is served over TLS by nginx).
// A header the module set itself is kept as it is.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codestats::host {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kHtmlContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

void hardenResponseHeaders(HeaderList& headers, bool secureCookies);

// One Set-Cookie value with the missing flags added.
std::string hardenCookie(std::string_view setCookie, bool secureCookies);

bool headerNameEquals(std::string_view a, std::string_view b);  // ASCII case-insensitive

}  // namespace codestats::host
