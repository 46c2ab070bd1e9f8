#include "sessions.hpp"

#include "forms.hpp"
#include "secrets.hpp"

namespace codestats::web {
namespace {

constexpr const char* kSessionCookie = "_code_stats_key";
constexpr const char* kRememberCookie = "_codestats_remember_me";

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
    if (tab != std::string_view::npos)
      out.push_back({std::string(line.substr(0, tab)), std::string(line.substr(tab + 1))});
  }
  return out;
}

}  // namespace

std::string Sessions::cookie(const std::string& name, const std::string& value, int64_t maxAgeSeconds) const {
  std::string c = name + "=" + value + "; Path=/; HttpOnly; SameSite=Lax";
  if (maxAgeSeconds >= 0) c += "; Max-Age=" + std::to_string(maxAgeSeconds);
  if (config_.secureCookies) c += "; Secure";
  return c;
}

void Sessions::load(Ctx& c) {
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
    c.user = users_.byId(*userId);
    if (!c.user) userId.reset();
  }
  if (!c.user) {
    if (auto it = cookies.find(kRememberCookie); it != cookies.end() && !it->second.empty()) {
      auto r = host_.query("SELECT user_id FROM remember_tokens WHERE token_hash = $1 AND expires_at > $2",
                           {sha256Hex(it->second), now});
      std::optional<User> u;
      if (!r.empty()) u = users_.byId(r[0].i64(0));
      if (u) logIn(c, *u);
      else c.cookies.push_back(cookie(kRememberCookie, "", 0));
    }
  }
}

void Sessions::start(Ctx& c, std::optional<int64_t> userId) {
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

void Sessions::logIn(Ctx& c, const User& u) {
  start(c, u.id);  // a new token: no session fixation
  c.user = u;
}

void Sessions::logOut(Ctx& c) {
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

void Sessions::setRememberMe(Ctx& c, int64_t userId) {
  std::string token = randomToken();
  int64_t now = nowMs();
  int64_t maxAge = config_.rememberDays * 86400;
  host_.query("INSERT INTO remember_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
              {sha256Hex(token), userId, now, now + maxAge * 1000});
  c.cookies.push_back(cookie(kRememberCookie, token, maxAge));
}

void Sessions::revokeUserSessions(int64_t userId, const std::string& exceptSessionHash) {
  host_.query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", {userId, exceptSessionHash});
  host_.query("DELETE FROM remember_tokens WHERE user_id = $1", {userId});
}

void Sessions::setFlash(Ctx& c, const std::string& kind, const std::string& text) {
  c.flashes.push_back({kind, text});
  saveFlashes(c);
}

void Sessions::saveFlashes(Ctx& c) {
  if (c.sessionHash.empty()) {
    start(c, c.user ? std::optional<int64_t>(c.user->id) : std::nullopt);
    return;  // startSession stored them
  }
  host_.query("UPDATE sessions SET flash = $1 WHERE token_hash = $2", {encodeFlashes(c.flashes), c.sessionHash});
}

std::optional<User> Sessions::sessionUser(const Request& req, Response& resp) {
  Ctx c{req, resp, std::string(req.method()), {}, {}, {}, {}, {}, {}, {}};
  load(c);
  // A remember-me login starts a session; a stale cookie is cleared.
  for (const auto& ck : c.cookies) resp.addHeader("Set-Cookie", ck);
  return c.user;
}

void Sessions::ensure(Ctx& c) {
  if (c.sessionHash.empty()) start(c, c.user ? std::optional<int64_t>(c.user->id) : std::nullopt);
}

void Sessions::flashesShown(Ctx& c) {
  if (c.flashes.empty()) return;
  c.flashes.clear();
  host_.query("UPDATE sessions SET flash = NULL WHERE token_hash = $1", {c.sessionHash});
}

}  // namespace codestats::web
