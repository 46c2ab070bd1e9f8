#include "graphiql_page.hpp"

#include "assets.hpp"
#include "views.hpp"

namespace codestats::web {
namespace {

// The host's policy for HTML (host/src/http/response_hardening.hpp) plus data: fonts, which
// graphiql's stylesheet embeds. Still no inline script and no foreign origin.
constexpr const char* kIdePolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

}  // namespace

void graphiqlPage(App& app, Ctx& c) {
  // A page of its own, without the site layout: the IDE fills the window, and its bundle
  // (React + graphiql, docs/frontend.md) is loaded here only.
  Data d;
  d.set("title", "GraphiQL \xE2\x80\x93 " + app.config().siteName);
  d.set("asset_js", assetPath("graphiql_ide.js"));
  d.set("asset_css", assetPath("graphiql_ide.css"));
  if (c.user) d.set("username", c.user->username);  // the example query's variable
  c.resp.status(200)
      .header("Content-Type", "text/html; charset=utf-8")
      .header("Cache-Control", "no-store")
      .header("Content-Security-Policy", kIdePolicy);
  c.resp.write(renderStandalone("graphiql", d));
}

}  // namespace codestats::web
