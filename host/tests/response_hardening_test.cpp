// Tests for host/src/http/response_hardening (security headers, cookie flags) and
// host/src/http/redaction (secrets kept out of logged request targets).
#include <catch2/catch.hpp>

#include <string>

#include "http/redaction.hpp"
#include "http/response_hardening.hpp"

using namespace codestats::host;

namespace {

std::string get(const HeaderList& h, const std::string& name) {
  std::string out;
  int n = 0;
  for (const auto& [k, v] : h)
    if (headerNameEquals(k, name)) {
      out = v;
      ++n;
    }
  REQUIRE(n <= 1);
  return out;
}

}  // namespace

TEST_CASE("hardening: an HTML response gets CSP, nosniff, Referrer-Policy and no framing", "[security]") {
  HeaderList h{{"Content-Type", "text/html; charset=utf-8"}};
  hardenResponseHeaders(h, false);
  std::string csp = get(h, "Content-Security-Policy");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("connect-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(get(h, "X-Content-Type-Options") == "nosniff");
  CHECK(get(h, "Referrer-Policy") == "strict-origin-when-cross-origin");
  CHECK(get(h, "X-Frame-Options") == "DENY");
}

TEST_CASE("hardening: a JSON response gets nosniff only", "[security]") {
  HeaderList h{{"content-type", "application/json"}};
  hardenResponseHeaders(h, false);
  CHECK(get(h, "X-Content-Type-Options") == "nosniff");
  CHECK(get(h, "Content-Security-Policy").empty());
  CHECK(get(h, "X-Frame-Options").empty());
}

TEST_CASE("hardening: a module's own policy is kept, matched case-insensitively", "[security]") {
  HeaderList h{{"Content-Type", "TEXT/HTML"},
               {"content-security-policy", "default-src 'none'"},
               {"x-content-type-options", "nosniff"}};
  hardenResponseHeaders(h, false);
  CHECK(get(h, "Content-Security-Policy") == "default-src 'none'");
  CHECK(get(h, "Referrer-Policy") == "strict-origin-when-cross-origin");
}

TEST_CASE("hardening: cookies get HttpOnly and SameSite=Lax, Secure when configured", "[security]") {
  CHECK(hardenCookie("sid=abc; Path=/", false) == "sid=abc; Path=/; HttpOnly; SameSite=Lax");
  CHECK(hardenCookie("sid=abc; Path=/", true) == "sid=abc; Path=/; HttpOnly; SameSite=Lax; Secure");
  CHECK(hardenCookie("sid=abc; httponly; samesite=Strict; secure", true) ==
        "sid=abc; httponly; samesite=Strict; secure");
  // A cookie value that merely contains the word is not an attribute.
  CHECK(hardenCookie("note=HttpOnly", false) == "note=HttpOnly; HttpOnly; SameSite=Lax");
  HeaderList h{{"Set-Cookie", "a=1"}, {"set-cookie", "b=2; SameSite=None; Secure"}};
  hardenResponseHeaders(h, false);
  CHECK(h[0].second == "a=1; HttpOnly; SameSite=Lax");
  CHECK(h[1].second == "b=2; SameSite=None; Secure; HttpOnly");
}

TEST_CASE("redaction: credential-like query parameters and reset tokens are redacted", "[security]") {
  CHECK(redactTarget("/api/my/pulses") == "/api/my/pulses");
  CHECK(redactTarget("/live_update_socket/websocket?vsn=2.0.0&token=SECRET") ==
        "/live_update_socket/websocket?vsn=2.0.0&token=[redacted]");
  CHECK(redactTarget("/x?api_key=K&password=P&page=2&X-API-Token=T") ==
        "/x?api_key=[redacted]&password=[redacted]&page=2&X-API-Token=[redacted]");
  CHECK(redactTarget("/reset-password/0b8e6c1e-1111-4222-8333-944445555666") == "/reset-password/[redacted]");
  CHECK(redactTarget("/reset-password/abc/extra?x=1") == "/reset-password/[redacted]/extra?x=1");
  CHECK(redactTarget("/reset-password/") == "/reset-password/");
  CHECK(redactTarget("/q?flag&secret=") == "/q?flag&secret=[redacted]");
}
