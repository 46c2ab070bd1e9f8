// The 500 answer of a page whose handler failed (spec §2.6): the standalone "Code::Stats has
// died" page for a browser, the spec's JSON for API clients, by the rule of the host's own
// error answers (<codestats/accept.hpp>). What failed goes to the log, never into the body.
#pragma once

#include <codestats/sdk.hpp>

namespace codestats::web {

void serverError(const Request& req, Response& resp);

}  // namespace codestats::web
