// Sessions: the session cookie and its row (user, CSRF token, pending flashes), remember-me
// tokens, login and logout. Sessions are web's tables (docs/data-ownership.md).
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "context.hpp"
#include "users.hpp"
#include "web_config.hpp"

namespace codestats::web {

class Sessions {
 public:
  Sessions(Host& host, const WebConfig& config, Users& users) : host_(host), config_(config), users_(users) {}

  // Reads the request's session (or logs in by its remember-me cookie) into c.
  void load(Ctx& c);
  // A new session row for c (a new token: no session fixation), keeping c's flashes.
  void start(Ctx& c, std::optional<int64_t> userId);
  // Starts a session when c has none (forms carry its CSRF token).
  void ensure(Ctx& c);
  void logIn(Ctx& c, const User& u);  // rotates the session; keeps pending flashes
  void logOut(Ctx& c);
  void setFlash(Ctx& c, const std::string& kind, const std::string& text);  // for the next page
  // The flashes were shown: they go from the session row.
  void flashesShown(Ctx& c);
  void setRememberMe(Ctx& c, int64_t userId);
  void revokeUserSessions(int64_t userId, const std::string& exceptSessionHash);

  // The logged-in user of a request outside the HTML pipeline (/profile-graph): reads the
  // session and remember-me cookies (a remember-me login starts a session, as pages do).
  std::optional<User> sessionUser(const Request& req, Response& resp);

 private:
  void saveFlashes(Ctx& c);
  std::string cookie(const std::string& name, const std::string& value, int64_t maxAgeSeconds) const;

  Host& host_;
  const WebConfig& config_;
  Users& users_;
};

}  // namespace codestats::web
