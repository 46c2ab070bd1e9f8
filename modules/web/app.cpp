#include "app.hpp"

#include "assets.hpp"
#include "common/socket_token.hpp"

#include <codestats/json.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "db_util.hpp"
#include "gravatar_client.hpp"
#include "schema.hpp"
#include "secrets.hpp"
#include "views.hpp"

namespace codestats::web {
namespace {

constexpr const char* kSessionCookie = "_code_stats_key";
constexpr const char* kRememberCookie = "_codestats_remember_me";

constexpr const char* kUserColumns =
    "SELECT id, username, email, gravatar_email, password_hash, private_profile, terms_version, inserted_at FROM users ";

User userFrom(const Row& r) {
  User u;
  u.id = r.i64(0);
  u.username = std::string(r.text(1));
  u.email = r.optText(2);
  u.gravatarEmail = r.optText(3);
  u.passwordHash = r.optText(4);
  u.privateProfile = r.i64(5) != 0;
  u.termsVersion = std::string(r.text(6));
  u.insertedAt = r.i64(7);
  return u;
}

// Pending flashes are stored in the session row as "kind\ttext" lines (texts never hold
// tabs or newlines: they are ours, with names that have no control characters).
std::string encodeFlashes(const std::vector<Flash>& fs) {
  std::string out;
  for (const auto& f : fs) out += f.kind + "\t" + f.text + "\n";
  return out;
}
std::vector<Flash> decodeFlashes(std::string_view s) {
  std::vector<Flash> out;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    std::string_view line = s.substr(0, nl);
    s = nl == std::string_view::npos ? std::string_view() : s.substr(nl + 1);
    size_t tab = line.find('\t');
    if (tab != std::string_view::npos) out.push_back({std::string(line.substr(0, tab)), std::string(line.substr(tab + 1))});
  }
  return out;
}

bool termsCurrent(const std::string& version) { return version >= kCurrentTermsVersion; }

}  // namespace

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

WebConfig readConfig(Host& host) {
  host.rejectUnknownConfig({"secure_cookies", "session_ttl_hours", "anonymous_session_ttl_hours", "remember_me_days",
                            "login_limit_per_ip", "login_limit_per_account", "login_window_s", "reset_limit_per_ip",
                            "reset_limit_per_account", "reset_window_s", "base_url", "signups", "gravatar_url",
                            "gravatar_timeout_ms", "avatar_cache_mb"});
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
  for (auto [name, v] : {std::pair{"session_ttl_hours", c.sessionTtlHours}, {"anonymous_session_ttl_hours", c.anonymousTtlHours},
                         {"remember_me_days", c.rememberDays}, {"login_window_s", loginWindow},
                         {"reset_window_s", resetWindow}, {"gravatar_timeout_ms", c.gravatarTimeoutMs},
                         {"avatar_cache_mb", c.avatarCacheMb}})
    if (v <= 0) throw Error(CS_E_INVALID, std::string("config key '") + name + "' must be positive");
  if (!c.baseUrl.empty() && c.baseUrl.rfind("http://", 0) != 0 && c.baseUrl.rfind("https://", 0) != 0)
    throw Error(CS_E_INVALID, "config key 'base_url' must start with http:// or https://");
  auto signups = host.config("signups");
  if (signups && *signups != "open" && *signups != "closed")
    throw Error(CS_E_INVALID, "config key 'signups' must be open or closed");
  return c;
}

std::optional<std::string> Ctx::field(const std::string& name) const {
  auto it = form.find(name);
  if (it == form.end()) return std::nullopt;
  return it->second;
}

std::string Ctx::clientIp() const { return std::string(req.remoteAddr()); }

App::App(Host& host) : host_(host), config_(readConfig(host)), profiles_(host) {
  config_.secretKeyBase = host.config("host.secret_key_base", "");
}

App::ProfileRead App::readProfile(const std::string& keptKey, const std::string& name,
                                  const std::optional<std::string>& viewer) {
  std::optional<RenderedProfiles::Entry> kept;
  if (!keptKey.empty()) kept = rendered_.get(keptKey);
  auto answer = profiles_.loadIfChanged(name, true, viewer, nowMs(), kept ? &kept->stamp : nullptr);
  if (answer.unchanged) {
    host_.counter("profile_bodies_reused");
    return {std::nullopt, kept->body};
  }
  if (!answer.data && !keptKey.empty()) rendered_.erase(keptKey);
  return {std::move(answer.data), nullptr};
}

void App::keepBody(const std::string& keptKey, const ProfileData& from, std::string body) {
  if (!keptKey.empty() && !from.stamp.empty()) rendered_.put(keptKey, from.stamp, std::move(body));
}

std::string App::cookie(const std::string& name, const std::string& value, int64_t maxAgeSeconds) const {
  std::string c = name + "=" + value + "; Path=/; HttpOnly; SameSite=Lax";
  if (maxAgeSeconds >= 0) c += "; Max-Age=" + std::to_string(maxAgeSeconds);
  if (config_.secureCookies) c += "; Secure";
  return c;
}

void App::loadSession(Ctx& c) {
  auto header = c.req.header("Cookie");
  auto cookies = parseCookies(header ? *header : std::string_view());
  int64_t now = nowMs();
  std::optional<int64_t> userId;
  if (auto it = cookies.find(kSessionCookie); it != cookies.end() && !it->second.empty()) {
    std::string hash = sha256Hex(it->second);
    auto r = host_.query("SELECT user_id, csrf_token, flash FROM sessions WHERE token_hash = $1 AND expires_at > $2",
                         {hash, now});
    if (!r.empty()) {
      c.sessionHash = hash;
      userId = r[0].optI64(0);
      c.csrf = std::string(r[0].text(1));
      c.flashes = decodeFlashes(r[0].text(2));
    } else {
      c.cookies.push_back(cookie(kSessionCookie, "", 0));  // unknown, expired or tampered
    }
  }
  if (userId) {
    c.user = userById(*userId);
    if (!c.user) userId.reset();
  }
  if (!c.user) {
    if (auto it = cookies.find(kRememberCookie); it != cookies.end() && !it->second.empty()) {
      auto r = host_.query("SELECT user_id FROM remember_tokens WHERE token_hash = $1 AND expires_at > $2",
                           {sha256Hex(it->second), now});
      std::optional<User> u;
      if (!r.empty()) u = userById(r[0].i64(0));
      if (u) logIn(c, *u);
      else c.cookies.push_back(cookie(kRememberCookie, "", 0));
    }
  }
}

void App::startSession(Ctx& c, std::optional<int64_t> userId) {
  std::string token = randomToken();
  std::string hash = sha256Hex(token);
  std::string csrf = randomToken();
  int64_t ttlMs = (userId ? config_.sessionTtlHours : config_.anonymousTtlHours) * 3600 * 1000;
  int64_t now = nowMs();
  host_.query(
      "INSERT INTO sessions (token_hash, user_id, csrf_token, flash, created_at, expires_at) VALUES ($1, $2, $3, $4, "
      "$5, $6)",
      {hash, userId, csrf, encodeFlashes(c.flashes), now, now + ttlMs});
  if (!c.sessionHash.empty()) host_.query("DELETE FROM sessions WHERE token_hash = $1", {c.sessionHash});
  c.sessionHash = hash;
  c.csrf = csrf;
  // A browser-session cookie, as the original: the server-side row expires on its own.
  c.cookies.push_back(cookie(kSessionCookie, token, -1));
}

void App::logIn(Ctx& c, const User& u) {
  startSession(c, u.id);  // a new token: no session fixation
  c.user = u;
}

void App::logOut(Ctx& c) {
  if (!c.sessionHash.empty()) host_.query("DELETE FROM sessions WHERE token_hash = $1", {c.sessionHash});
  auto header = c.req.header("Cookie");
  auto cookies = parseCookies(header ? *header : std::string_view());
  if (auto it = cookies.find(kRememberCookie); it != cookies.end())
    host_.query("DELETE FROM remember_tokens WHERE token_hash = $1", {sha256Hex(it->second)});
  c.sessionHash.clear();
  c.csrf.clear();
  c.user.reset();
  c.cookies.push_back(cookie(kSessionCookie, "", 0));
  c.cookies.push_back(cookie(kRememberCookie, "", 0));
}

void App::setRememberMe(Ctx& c, int64_t userId) {
  std::string token = randomToken();
  int64_t now = nowMs();
  int64_t maxAge = config_.rememberDays * 86400;
  host_.query("INSERT INTO remember_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
              {sha256Hex(token), userId, now, now + maxAge * 1000});
  c.cookies.push_back(cookie(kRememberCookie, token, maxAge));
}

void App::revokeUserSessions(int64_t userId, const std::string& exceptSessionHash) {
  host_.query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", {userId, exceptSessionHash});
  host_.query("DELETE FROM remember_tokens WHERE user_id = $1", {userId});
}

void App::setFlash(Ctx& c, const std::string& kind, const std::string& text) {
  c.flashes.push_back({kind, text});
  saveFlashes(c);
}

void App::saveFlashes(Ctx& c) {
  if (c.sessionHash.empty()) {
    startSession(c, c.user ? std::optional<int64_t>(c.user->id) : std::nullopt);
    return;  // startSession stored them
  }
  host_.query("UPDATE sessions SET flash = $1 WHERE token_hash = $2", {encodeFlashes(c.flashes), c.sessionHash});
}

void App::handle(const Request& req, Response& resp, Access access, Format format, const Handler& fn) {
  Ctx c{req, resp, std::string(req.method()), parseForm(req.query()), {}, {}, {}, {}, {}, {}};
  auto finish = [&] {
    for (const auto& ck : c.cookies) resp.addHeader("Set-Cookie", ck);
  };
  try {
    if (c.method == "HEAD") c.method = "GET";
    auto contentType = req.header("Content-Type");
    if (contentType && contentType->rfind("application/x-www-form-urlencoded", 0) == 0) c.form = parseForm(req.body());
    if (c.method == "POST") {
      auto m = c.field("_method");
      if (m && (*m == "PUT" || *m == "PATCH" || *m == "DELETE")) c.method = *m == "PATCH" ? "PUT" : *m;
    }
    if (!acceptAllows(req.header("Accept"), format == Format::Csv ? "text/csv" : "text/html") &&
        !(c.query.count("_format") && c.query["_format"] == (format == Format::Csv ? "csv" : "html"))) {
      resp.status(406).header("Content-Type", "text/plain; charset=utf-8").write("Not acceptable\n");
      finish();
      return;
    }
    loadSession(c);
    std::string path(req.path());
    if (c.user && !termsCurrent(c.user->termsVersion) && path != "/my/consent" && path != "/logout" &&
        path != "/my/consent-delete") {
      redirect(c, "/my/consent");
    } else if (access == Access::LoggedIn && !c.user) {
      forbidden(c);
    } else if (access == Access::LoggedOut && c.user) {
      redirect(c, "/my/profile");
    } else if (c.method != "GET" && c.method != "OPTIONS") {
      auto token = c.field("_csrf_token");
      auto header = req.header("X-CSRF-Token");
      std::string given = token ? *token : header ? std::string(*header) : std::string();
      if (c.csrf.empty() || !constantTimeEquals(given, c.csrf)) {
        errorPage(c, 403, "Forbidden",
                  "The form was sent without a valid security token (CSRF). Please reload the page and try again.");
      } else {
        fn(*this, c);
      }
    } else {
      fn(*this, c);
    }
  } catch (const std::exception& e) {
    host_.error(std::string("request ") + std::string(req.id()) + " " + std::string(req.path()) + " failed: " + e.what());
    c.cookies.clear();
    resp.status(500).header("Content-Type", "text/html; charset=utf-8");
    resp.write(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Code::Stats has died</title></head><body>"
        "<h1>500 Internal server error</h1><p>The server some kind of exploded.</p></body></html>\n");
  }
  finish();
}

std::optional<User> App::sessionUser(const Request& req, Response& resp) {
  Ctx c{req, resp, std::string(req.method()), {}, {}, {}, {}, {}, {}, {}};
  loadSession(c);
  // A remember-me login starts a session; a stale cookie is cleared.
  for (const auto& ck : c.cookies) resp.addHeader("Set-Cookie", ck);
  return c.user;
}

void App::render(Ctx& c, int status, const std::string& page, Data& data, const std::string& title) {
  sendHtml(c, status, renderHtml(c, page, data, title));
}

void App::sendHtml(Ctx& c, int status, const std::string& html) {
  c.resp.status(status).header("Content-Type", "text/html; charset=utf-8").header("Cache-Control", "no-store");
  c.resp.write(html);
}

std::string App::renderHtml(Ctx& c, const std::string& page, Data& data, const std::string& title) {
  // A session carries the CSRF token of forms; read-only pages (profiles, the front page,
  // information pages) do not start one, so an anonymous view writes nothing.
  static constexpr const char* kFormlessPages[] = {"home", "profile", "api_docs", "plugins", "changes", "aliases", "tos"};
  bool formless = std::find(std::begin(kFormlessPages), std::end(kFormlessPages), page) != std::end(kFormlessPages);
  if (c.sessionHash.empty() && !formless) startSession(c, c.user ? std::optional<int64_t>(c.user->id) : std::nullopt);
  Data layout;
  layout.set("title", title.empty() ? config_.siteName : title + " \xE2\x80\x93 " + config_.siteName);
  layout.set("csrf_token", c.csrf);
  // The browser bundle by its hashed names, and the page key its entry point dispatches on.
  layout.set("asset_js", assetPath("app.js"));
  layout.set("asset_css", assetPath("app.css"));
  layout.set("page", page == "home" ? std::string("frontpage") : page);
  if (c.user) {
    Data u;
    u.set("username", c.user->username);
    // The live socket's token (spec §6.1, docs/channels.md): lets the owner's page join the
    // topic of a private profile.
    if (!config_.secretKeyBase.empty())
      u.set("channel_token", common::signSocketToken(config_.secretKeyBase, c.user->username, nowMs()));
    layout.set("current_user", u);
  }
  Data flashes{Data::type::list};
  for (const auto& f : c.flashes) {
    Data item;
    item.set("kind", f.kind);
    item.set("text", f.text);
    flashes.push_back(item);
  }
  layout.set("flashes", flashes);
  layout.set("has_flashes", !c.flashes.empty());
  data.set("csrf_token", c.csrf);
  std::string html = renderPage(page, data, layout);
  if (!c.flashes.empty()) {
    c.flashes.clear();
    host_.query("UPDATE sessions SET flash = NULL WHERE token_hash = $1", {c.sessionHash});
  }
  return html;
}

void App::redirect(Ctx& c, const std::string& location) {
  c.resp.status(302).header("Location", location).header("Content-Type", "text/html; charset=utf-8");
  c.resp.write("<!DOCTYPE html><html><body>You are being <a href=\"" + kainjow::mustache::html_escape(location) +
               "\">redirected</a>.</body></html>\n");
}

void App::redirectWithFlash(Ctx& c, const std::string& location, const std::string& kind, const std::string& text) {
  setFlash(c, kind, text);
  redirect(c, location);
}

void App::errorPage(Ctx& c, int status, const std::string& heading, const std::string& text) {
  Data d;
  d.set("heading", heading);
  d.set("text", text);
  render(c, status, "error", d, heading);
}

void App::notFound(Ctx& c) {
  errorPage(c, 404, "Not found",
            "The page you were looking for does not exist. If you were looking for a user profile, it may have also "
            "been set to private.");
}

void App::forbidden(Ctx& c) {
  errorPage(c, 403, "Forbidden", "Either you are not logged in or you tried doing something you're not allowed to do.");
}

void App::badRequest(Ctx& c, const std::string& text) { errorPage(c, 400, "Bad request", text); }

bool App::withinLimit(Ctx& c, const RateLimit& limit, const std::string& scope, const std::string& subject) {
  int64_t retryAfter = 0;
  CounterIncr incr = [this](const std::string& key, uint32_t ttlMs) {
    int64_t n = host_.kvIncr(key, 1);
    if (n == 1) host_.kvPut(key, "1", ttlMs);  // the first attempt starts the window's lifetime
    return n;
  };
  if (allowAttempt(incr, limit, scope, subject, nowMs(), retryAfter)) return true;
  host_.counter("web_rate_limited_total");
  c.resp.header("Retry-After", std::to_string(retryAfter));
  errorPage(c, 429, "Too many attempts",
            "Too many attempts from your address or for this account. Please wait " + std::to_string(retryAfter) +
                " seconds and try again.");
  return false;
}

std::optional<User> App::userById(int64_t id) {
  auto r = host_.query(std::string(kUserColumns) + "WHERE id = $1", {id});
  if (r.empty()) return std::nullopt;
  return userFrom(r[0]);
}

std::optional<User> App::userByNameCaseless(const std::string& name) {
  auto r = host_.query(std::string(kUserColumns) + "WHERE lower(username) = lower($1)", {name});
  if (r.empty()) return std::nullopt;
  return userFrom(r[0]);
}

std::optional<User> App::userByNameExact(const std::string& name) {
  auto r = host_.query(std::string(kUserColumns) + "WHERE username = $1", {name});
  if (r.empty()) return std::nullopt;
  return userFrom(r[0]);
}

void App::publishUserChanged(const User& u) {
  host_.publish("user.changed", "{\"user_id\":" + std::to_string(u.id) + ",\"username\":" + jsonString(u.username) +
                                    ",\"private\":" + (u.privateProfile ? "true" : "false") + "}");
}

void App::publishUserDeleted(int64_t id, const std::string& username) {
  forgetIngestCredentials();
  host_.publish("user.deleted", "{\"user_id\":" + std::to_string(id) + ",\"username\":" + jsonString(username) + "}");
}

// Events are delivered asynchronously: without this call a pulse sent right after the
// answer could still pass with credentials ingest cached before the change.
void App::forgetIngestCredentials() {
  try {
    host_.call("ingest", 1, "forget_credentials", "{}");  // nullopt: ingest is not loaded
  } catch (const Error& e) {
    host_.warn(std::string("ingest.v1 forget_credentials failed: ") + e.what());
  }
}

void App::publishMachineChanged(int64_t machineId, int64_t userId, const std::string& name, bool active, bool deleted) {
  forgetIngestCredentials();
  host_.publish("machine.changed", "{\"machine_id\":" + std::to_string(machineId) +
                                       ",\"user_id\":" + std::to_string(userId) + ",\"name\":" + jsonString(name) +
                                       ",\"active\":" + (active ? "true" : "false") +
                                       ",\"deleted\":" + (deleted ? "true" : "false") + "}");
}

void App::deleteUser(const User& u) {
  host_.transaction([&](Tx& tx) {
    for (const char* t : {"sessions", "remember_tokens", "password_resets", "machines"})
      tx.query(std::string("DELETE FROM ") + t + " WHERE user_id = $1", {u.id});
    tx.query("DELETE FROM users WHERE id = $1", {u.id});
  });
  // The account's pulses and aggregates are ingest's: it deletes them (and once more on the
  // user.deleted event, for a pulse that was already past authentication).
  deleteIngestData("delete_user_data", "{\"user_id\":" + std::to_string(u.id) + "}");
  publishUserDeleted(u.id, u.username);
}

void App::deleteIngestData(const std::string& method, const std::string& request) {
  try {
    if (!host_.call("ingest", 1, method, request))
      host_.warn("ingest is not loaded: its data of a deleted account or machine stays until `ingest.purge-orphans`");
  } catch (const Error& e) {
    host_.warn("ingest.v1 " + method + " failed (`ingest.purge-orphans` removes what is left): " + e.what());
  }
}

bool App::signupsEnabled() {
  auto r = host_.query("SELECT value FROM web_settings WHERE name = 'signups'");
  if (!r.empty()) return r[0].text(0) == "open";
  return host_.config("signups", "open") == "open";
}

void App::setSignupsEnabled(bool on) {
  host_.query(
      "INSERT INTO web_settings (name, value) VALUES ('signups', $1) ON CONFLICT (name) DO UPDATE SET value = "
      "excluded.value",
      {on ? "open" : "closed"});
}

std::string App::absoluteUrl(const Ctx& c, const std::string& path) const {
  if (!config_.baseUrl.empty()) return config_.baseUrl + path;
  auto host = c.req.header("Host");
  return std::string(config_.secureCookies ? "https://" : "http://") + std::string(host ? *host : "localhost") + path;
}

void App::putErrors(Data& d, const FieldErrors& errors) {
  for (const auto& [field, msgs] : errors) {
    Data list{Data::type::list};
    for (const auto& m : msgs) list.push_back(Data(m));
    d.set(field + "_errors", list);
  }
}

}  // namespace codestats::web
