// The answer for paths no route knows (registered as the fallback route "/*path"): the
// "Not found" page in the site's layout for a browser, JSON for API clients (spec §2.3,
// §2.6). Outside the page pipeline: no 406, no consent redirect, no CSRF check.
#pragma once

#include "app.hpp"

namespace codestats::web {

void routeNotFound(App& app, const Request& req, Response& resp);

}  // namespace codestats::web
