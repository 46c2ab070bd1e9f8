#include "pages.hpp"

#include <algorithm>
#include <iterator>

#include "assets.hpp"
#include "common/socket_token.hpp"
#include "views.hpp"

namespace codestats::web {

void Pages::render(Ctx& c, int status, const std::string& page, Data& data, const std::string& title) {
  sendHtml(c, status, renderHtml(c, page, data, title));
}

void Pages::sendHtml(Ctx& c, int status, const std::string& html) {
  c.resp.status(status).header("Content-Type", "text/html; charset=utf-8").header("Cache-Control", "no-store");
  c.resp.write(html);
}

std::string Pages::renderHtml(Ctx& c, const std::string& page, Data& data, const std::string& title) {
  // A session carries the CSRF token of forms; read-only pages (profiles, the front page,
  // information and error pages) do not start one, so an anonymous view writes nothing.
  static constexpr const char* kFormlessPages[] = {"home",    "profile", "api_docs", "plugins", "changes",
                                                   "aliases", "tos",     "support",  "error"};
  bool formless = std::find(std::begin(kFormlessPages), std::end(kFormlessPages), page) != std::end(kFormlessPages);
  if (!formless) sessions_.ensure(c);
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
  sessions_.flashesShown(c);
  return html;
}

void Pages::redirect(Ctx& c, const std::string& location) {
  c.resp.status(302).header("Location", location).header("Content-Type", "text/html; charset=utf-8");
  c.resp.write("<!DOCTYPE html><html><body>You are being <a href=\"" + kainjow::mustache::html_escape(location) +
               "\">redirected</a>.</body></html>\n");
}

void Pages::redirectWithFlash(Ctx& c, const std::string& location, const std::string& kind, const std::string& text) {
  sessions_.setFlash(c, kind, text);
  redirect(c, location);
}

void Pages::errorPage(Ctx& c, int status, const std::string& heading, const std::string& text) {
  Data d;
  d.set("heading", heading);
  d.set("text", text);
  render(c, status, "error", d, heading);
}

void Pages::notFound(Ctx& c) {
  errorPage(c, 404, "Not found",
            "The page you were looking for does not exist. If you were looking for a user profile, it may have also "
            "been set to private.");
}

void Pages::forbidden(Ctx& c) {
  errorPage(c, 403, "Forbidden", "Either you are not logged in or you tried doing something you're not allowed to do.");
}

void Pages::badRequest(Ctx& c, const std::string& text) { errorPage(c, 400, "Bad request", text); }

std::string Pages::absoluteUrl(const Ctx& c, const std::string& path) const {
  if (!config_.baseUrl.empty()) return config_.baseUrl + path;
  auto host = c.req.header("Host");
  return std::string(config_.secureCookies ? "https://" : "http://") + std::string(host ? *host : "localhost") + path;
}

void Pages::putErrors(Data& d, const FieldErrors& errors) {
  for (const auto& [field, msgs] : errors) {
    Data list{Data::type::list};
    for (const auto& m : msgs) list.push_back(Data(m));
    d.set(field + "_errors", list);
  }
}

}  // namespace codestats::web
