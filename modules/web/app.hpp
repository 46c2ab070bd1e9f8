// The web application's shared parts: configuration, the per-request context (session
// user, CSRF token, flash, parsed form) and the entry point every page handler runs through.
#pragma once

#include <codestats/sdk.hpp>
#include <kainjow/mustache.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "forms.hpp"
#include "profile_store.hpp"
#include "rate_limit.hpp"
#include "rendered_profiles.hpp"
#include "validation.hpp"

namespace codestats::web {

using Data = kainjow::mustache::basic_data<std::string>;

struct WebConfig {
  bool secureCookies = false;           // add Secure to cookies (behind TLS)
  int64_t sessionTtlHours = 24 * 14;    // a logged-in session's lifetime since its last login
  int64_t anonymousTtlHours = 24;       // a logged-out session (CSRF token, flash)
  int64_t rememberDays = 365;           // remember-me cookie and token
  int64_t resetTokenHours = 4;          // password reset link
  RateLimit loginPerIp{30, 300}, loginPerAccount{10, 300};
  RateLimit resetPerIp{10, 3600}, resetPerAccount{3, 3600};
  std::string baseUrl;                  // absolute URLs in mail; empty = from the Host header
  std::string siteName = "Code::Stats";
  std::string secretKeyBase;            // host.secret_key_base: signs the pages' socket tokens
  std::string gravatarUrl = "https://www.gravatar.com";  // the avatar proxy's upstream (§7.11)
  int64_t gravatarTimeoutMs = 2000;     // the whole fetch
  int64_t avatarCacheMb = 32;           // the in-memory avatar cache's bound
};
WebConfig readConfig(Host& host);  // rejects unknown modules.web.* keys

struct User {
  int64_t id = 0;
  std::string username;
  std::optional<std::string> email, gravatarEmail, passwordHash;
  bool privateProfile = false;
  std::string termsVersion;
  int64_t insertedAt = 0;
};

struct Flash {
  std::string kind;  // info | success | error
  std::string text;
};

class App;

// One request's state. Built by App::handle, passed to every handler.
struct Ctx {
  const Request& req;
  Response& resp;
  std::string method;  // after the _method override
  Form query, form;
  std::optional<User> user;
  std::string sessionHash;  // SHA-256 of the session cookie; empty = no session yet
  std::string csrf;
  std::vector<Flash> flashes;  // shown on the next rendered page
  std::vector<std::string> cookies;

  std::optional<std::string> field(const std::string& name) const;  // form field
  std::string clientIp() const;
};

enum class Access { Anyone, LoggedIn, LoggedOut };
enum class Format { Html, Csv };

using Handler = std::function<void(App&, Ctx&)>;

class App {
 public:
  explicit App(Host& host);
  Host& host() { return host_; }
  const WebConfig& config() const { return config_; }
  ProfileStore& profiles() { return profiles_; }

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

  // Runs one request: content negotiation, session and remember-me, consent redirect,
  // access rule, CSRF check for state-changing methods, then the handler.
  void handle(const Request& req, Response& resp, Access access, Format format, const Handler& fn);

  // The logged-in user of a request outside the HTML pipeline (/profile-graph): reads the
  // session and remember-me cookies (a remember-me login starts a session, as pages do).
  std::optional<User> sessionUser(const Request& req, Response& resp);

  // Responses. render() = sendHtml(renderHtml()); the split lets a page keep its HTML.
  void render(Ctx& c, int status, const std::string& page, Data& data, const std::string& title);
  std::string renderHtml(Ctx& c, const std::string& page, Data& data, const std::string& title);
  void sendHtml(Ctx& c, int status, const std::string& html);
  void redirect(Ctx& c, const std::string& location);
  void redirectWithFlash(Ctx& c, const std::string& location, const std::string& kind, const std::string& text);
  void errorPage(Ctx& c, int status, const std::string& heading, const std::string& text);
  void notFound(Ctx& c);
  void forbidden(Ctx& c);
  void badRequest(Ctx& c, const std::string& text = "The request was malformed.");

  // Sessions.
  void logIn(Ctx& c, const User& u);  // rotates the session; keeps pending flashes
  void logOut(Ctx& c);
  void setFlash(Ctx& c, const std::string& kind, const std::string& text);  // for the next page
  void setRememberMe(Ctx& c, int64_t userId);
  void revokeUserSessions(int64_t userId, const std::string& exceptSessionHash);

  // Rate limits: false = answered with 429 already.
  bool withinLimit(Ctx& c, const RateLimit& limit, const std::string& scope, const std::string& subject);

  // Users.
  std::optional<User> userById(int64_t id);
  std::optional<User> userByNameCaseless(const std::string& name);
  std::optional<User> userByNameExact(const std::string& name);
  void publishUserChanged(const User& u);
  void publishUserDeleted(int64_t id, const std::string& username);
  void publishMachineChanged(int64_t machineId, int64_t userId, const std::string& name, bool active, bool deleted);
  // ingest.v1 forget_credentials: machine keys change before the change is answered.
  void forgetIngestCredentials();
  // Removes the user and everything that belongs to it (sessions, machines; pulses, xps
  // and aggregates through ingest).
  void deleteUser(const User& u);
  // ingest.v1 delete_user_data / delete_machine_data; a failure is logged, not thrown: the
  // account or machine is already gone, and ingest repeats the deletion on the event.
  void deleteIngestData(const std::string& method, const std::string& request);

  bool signupsEnabled();
  void setSignupsEnabled(bool on);
  std::string absoluteUrl(const Ctx& c, const std::string& path) const;

  static void putErrors(Data& d, const FieldErrors& errors);

 private:
  void startSession(Ctx& c, std::optional<int64_t> userId);
  void loadSession(Ctx& c);
  void saveFlashes(Ctx& c);
  std::string cookie(const std::string& name, const std::string& value, int64_t maxAgeSeconds) const;

  Host& host_;
  WebConfig config_;
  ProfileStore profiles_;
  RenderedProfiles rendered_;
};

int64_t nowMs();

}  // namespace codestats::web
