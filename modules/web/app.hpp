// The web application: the request pipeline every page runs through (content negotiation,
// session, consent redirect, access rule, CSRF check), and the parts a handler reaches
// through it: sessions, rendering, user lookups, profiles and rate limits.
#pragma once

#include <codestats/sdk.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "context.hpp"
#include "example_profile.hpp"
#include "pages.hpp"
#include "profile_store.hpp"
#include "rate_limit.hpp"
#include "rendered_profiles.hpp"
#include "sessions.hpp"
#include "users.hpp"
#include "web_config.hpp"

namespace codestats::web {

class App;
using Handler = std::function<void(App&, Ctx&)>;

class App {
 public:
  explicit App(Host& host);
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  Host& host() { return host_; }
  const WebConfig& config() const { return config_; }
  ProfileStore& profiles() { return profiles_; }
  Users& users() { return users_; }
  Sessions& sessions() { return sessions_; }
  Pages& pages() { return pages_; }
  ExampleProfile& exampleProfile() { return exampleProfile_; }

  // Runs one request: content negotiation, session and remember-me, consent redirect,
  // access rule, CSRF check for state-changing methods, then the handler.
  void handle(const Request& req, Response& resp, Access access, Format format, const Handler& fn);

  // A profile read that may be answered by a body kept under `keptKey` (empty: none may be):
  // keptBody is set when the kept body still holds (counted as profile_bodies_reused);
  // otherwise `data` is the fresh profile (nullopt: not found or private, and the kept body
  // is dropped). keepBody() stores what the caller rendered from `data` (docs/web.md).
  struct ProfileRead {
    std::optional<ProfileData> data;
    std::shared_ptr<const std::string> keptBody;
  };
  ProfileRead readProfile(const std::string& keptKey, const std::string& name,
                          const std::optional<std::string>& viewer);
  void keepBody(const std::string& keptKey, const ProfileData& from, std::string body);

  // Rate limits: false = answered with 429 already.
  bool withinLimit(Ctx& c, const RateLimit& limit, const std::string& scope, const std::string& subject);

 private:
  Host& host_;
  WebConfig config_;
  ProfileStore profiles_;
  RenderedProfiles rendered_;
  Users users_;
  Sessions sessions_;
  Pages pages_;
  ExampleProfile exampleProfile_;
};

}  // namespace codestats::web
