#include "web_config.hpp"

#include <chrono>
#include <stdexcept>
#include <utility>

#include "gravatar_client.hpp"

namespace codestats::web {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Printable ASCII without spaces, quotes or angle brackets: safe in an href as it is.
bool plainUrlText(const std::string& s) {
  for (unsigned char ch : s)
    if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\'' || ch == '<' || ch == '>' || ch == '\\') return false;
  return true;
}

bool plausibleEmail(const std::string& s) {
  size_t at = s.find('@');
  return plainUrlText(s) && at != std::string::npos && at > 0 && at + 1 < s.size() &&
         s.find('@', at + 1) == std::string::npos;
}

bool plausibleUrl(const std::string& s) {
  return plainUrlText(s) &&
         ((s.rfind("https://", 0) == 0 && s.size() > 8) || (s.rfind("http://", 0) == 0 && s.size() > 7));
}

}  // namespace

WebConfig readConfig(Host& host) {
  host.rejectUnknownConfig({"secure_cookies", "session_ttl_hours", "anonymous_session_ttl_hours", "remember_me_days",
                            "login_limit_per_ip", "login_limit_per_account", "login_window_s", "reset_limit_per_ip",
                            "reset_limit_per_account", "reset_window_s", "base_url", "signups", "gravatar_url",
                            "gravatar_timeout_ms", "avatar_cache_mb", "support_email", "support_url",
                            "example_profile"});
  WebConfig c;
  c.secureCookies = host.configBool("secure_cookies", c.secureCookies);
  c.sessionTtlHours = host.configInt("session_ttl_hours", c.sessionTtlHours);
  c.anonymousTtlHours = host.configInt("anonymous_session_ttl_hours", c.anonymousTtlHours);
  c.rememberDays = host.configInt("remember_me_days", c.rememberDays);
  int64_t loginWindow = host.configInt("login_window_s", c.loginPerIp.windowSeconds);
  c.loginPerIp = {host.configInt("login_limit_per_ip", c.loginPerIp.maxAttempts), loginWindow};
  c.loginPerAccount = {host.configInt("login_limit_per_account", c.loginPerAccount.maxAttempts), loginWindow};
  int64_t resetWindow = host.configInt("reset_window_s", c.resetPerIp.windowSeconds);
  c.resetPerIp = {host.configInt("reset_limit_per_ip", c.resetPerIp.maxAttempts), resetWindow};
  c.resetPerAccount = {host.configInt("reset_limit_per_account", c.resetPerAccount.maxAttempts), resetWindow};
  c.baseUrl = host.config("base_url", "");
  while (!c.baseUrl.empty() && c.baseUrl.back() == '/') c.baseUrl.pop_back();
  c.gravatarUrl = host.config("gravatar_url", c.gravatarUrl);
  c.gravatarTimeoutMs = host.configInt("gravatar_timeout_ms", c.gravatarTimeoutMs);
  c.avatarCacheMb = host.configInt("avatar_cache_mb", c.avatarCacheMb);
  try {
    GravatarClient(c.gravatarUrl, std::chrono::milliseconds(c.gravatarTimeoutMs));
  } catch (const std::invalid_argument& e) {
    throw Error(CS_E_INVALID, std::string("config key 'gravatar_url': ") + e.what());
  }
  for (auto [name, v] : {std::pair{"session_ttl_hours", c.sessionTtlHours},
                         {"anonymous_session_ttl_hours", c.anonymousTtlHours},
                         {"remember_me_days", c.rememberDays},
                         {"login_window_s", loginWindow},
                         {"reset_window_s", resetWindow},
                         {"gravatar_timeout_ms", c.gravatarTimeoutMs},
                         {"avatar_cache_mb", c.avatarCacheMb}})
    if (v <= 0) throw Error(CS_E_INVALID, std::string("config key '") + name + "' must be positive");
  if (!c.baseUrl.empty() && c.baseUrl.rfind("http://", 0) != 0 && c.baseUrl.rfind("https://", 0) != 0)
    throw Error(CS_E_INVALID, "config key 'base_url' must start with http:// or https://");
  c.supportEmail = host.config("support_email", "");
  c.supportUrl = host.config("support_url", "");
  c.exampleProfile = host.config("example_profile", "");
  if (!c.supportEmail.empty() && !plausibleEmail(c.supportEmail))
    throw Error(CS_E_INVALID, "config key 'support_email' must be an address like support@example.org");
  if (!c.supportUrl.empty() && !plausibleUrl(c.supportUrl))
    throw Error(CS_E_INVALID, "config key 'support_url' must be an http:// or https:// URL without spaces");
  auto signups = host.config("signups");
  if (signups && *signups != "open" && *signups != "closed")
    throw Error(CS_E_INVALID, "config key 'signups' must be open or closed");
  return c;
}

}  // namespace codestats::web
