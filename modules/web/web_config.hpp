// The web module's settings (modules.web.*), read once per module load.
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <string>

#include "rate_limit.hpp"

namespace codestats::web {

struct WebConfig {
  bool secureCookies = false;         // add Secure to cookies (behind TLS)
  int64_t sessionTtlHours = 24 * 14;  // a logged-in session's lifetime since its last login
  int64_t anonymousTtlHours = 24;     // a logged-out session (CSRF token, flash)
  int64_t rememberDays = 365;         // remember-me cookie and token
  int64_t resetTokenHours = 4;        // password reset link
  RateLimit loginPerIp{30, 300}, loginPerAccount{10, 300};
  RateLimit resetPerIp{10, 3600}, resetPerAccount{3, 3600};
  std::string baseUrl;  // absolute URLs in mail; empty = from the Host header
  std::string siteName = "Code::Stats";
  std::string secretKeyBase;                             // host.secret_key_base: signs the pages' socket tokens
  std::string gravatarUrl = "https://www.gravatar.com";  // the avatar proxy's upstream (§7.11)
  int64_t gravatarTimeoutMs = 2000;                      // the whole fetch
  int64_t avatarCacheMb = 32;                            // the in-memory avatar cache's bound
  std::string supportEmail, supportUrl;                  // the operator's contact on /support; empty = not given
  std::string exampleProfile;                            // the front page's example profile; empty = the top user
};
WebConfig readConfig(Host& host);  // rejects unknown modules.web.* keys

int64_t nowMs();

}  // namespace codestats::web
