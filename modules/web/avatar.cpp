#include "avatar.hpp"

#include "api_users.hpp"
#include "assets.hpp"
#include "gravatar.hpp"

namespace codestats::web {

AvatarProxy::AvatarProxy(const WebConfig& config)
    : client_(config.gravatarUrl, std::chrono::milliseconds(config.gravatarTimeoutMs)),
      cache_(AvatarCacheLimits{std::chrono::hours(1), std::chrono::seconds(60),
                               static_cast<size_t>(config.avatarCacheMb) << 20}) {}

void AvatarProxy::serve(App& app, const Request& req, Response& resp) {
  // The profile page's lookup (case-insensitive, '+' for space) without its redirect, and
  // its rule: a private profile's avatar only for the owner (§7.10, §7.11).
  auto n = lookupName(req.param("name").value_or(""));
  auto user = n.name.empty() ? std::nullopt : app.users().byNameCaseless(n.name);
  bool allowed = user && user->gravatarEmail && !user->gravatarEmail->empty();
  if (allowed && user->privateProfile) {
    auto viewer = app.sessions().sessionUser(req, resp);
    allowed = viewer && viewer->id == user->id;
  }
  if (!allowed) {
    resp.status(404).header("Cache-Control", "no-cache");
    return;
  }

  std::string hash = gravatarHash(*user->gravatarEmail);
  auto avatar = cache_.get(hash, [&] {
    Avatar a = client_.fetch(hash);
    // Logged once per fetch: a remembered failure is served without a new line.
    if (!a.ok) app.host().warn("avatar: gravatar " + hash + ": " + a.error);
    return a;
  });
  if (!avatar->ok) {
    resp.status(502).header("Cache-Control", "no-store").header("Content-Type", "text/plain; charset=utf-8");
    resp.write("The avatar could not be fetched from Gravatar.\n");
    return;
  }
  // Browsers revalidate after 5 minutes (a changed Gravatar address shows up soon); the
  // ETag makes that a 304. Only images are passed on, never sniffed or scripted.
  resp.header("Cache-Control", user->privateProfile ? "private, max-age=300" : "public, max-age=300")
      .header("ETag", avatar->etag)
      .header("X-Content-Type-Options", "nosniff")
      .header("Content-Security-Policy", "default-src 'none'; sandbox");
  if (auto inm = req.header("If-None-Match"); inm && etagMatches(*inm, avatar->etag)) {
    resp.status(304);
    return;
  }
  resp.status(200).header("Content-Type", avatar->contentType).write(avatar->bytes);
}

}  // namespace codestats::web
