#include "app.hpp"

#include <string>

#include "server_error.hpp"

#include "schema.hpp"
#include "secrets.hpp"

namespace codestats::web {
namespace {

bool termsCurrent(const std::string& version) { return version >= kCurrentTermsVersion; }

}  // namespace

App::App(Host& host)
    : host_(host), config_(readConfig(host)), profiles_(host), users_(host), sessions_(host, config_, users_),
      pages_(config_, sessions_), exampleProfile_(host, config_.exampleProfile) {
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
    sessions_.load(c);
    std::string path(req.path());
    if (c.user && !termsCurrent(c.user->termsVersion) && path != "/my/consent" && path != "/logout" &&
        path != "/my/consent-delete") {
      pages_.redirect(c, "/my/consent");
    } else if (access == Access::LoggedIn && !c.user) {
      pages_.forbidden(c);
    } else if (access == Access::LoggedOut && c.user) {
      pages_.redirect(c, "/my/profile");
    } else if (c.method != "GET" && c.method != "OPTIONS") {
      auto token = c.field("_csrf_token");
      auto header = req.header("X-CSRF-Token");
      std::string given = token ? *token : header ? std::string(*header) : std::string();
      if (c.csrf.empty() || !constantTimeEquals(given, c.csrf)) {
        pages_.errorPage(
            c, 403, "Forbidden",
            "The form was sent without a valid security token (CSRF). Please reload the page and try again.");
      } else {
        fn(*this, c);
      }
    } else {
      fn(*this, c);
    }
  } catch (const std::exception& e) {
    host_.error(std::string("request ") + std::string(req.id()) + " " + std::string(req.path()) +
                " failed: " + e.what());
    c.cookies.clear();
    serverError(req, resp);
  }
  finish();
}

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
  pages_.errorPage(c, 429, "Too many attempts",
                   "Too many attempts from your address or for this account. Please wait " +
                       std::to_string(retryAfter) + " seconds and try again.");
  return false;
}

}  // namespace codestats::web
