// GET /api/users/:name, the JSON profile API third-party tools read (spec §4, §13.4).
#pragma once

#include <codestats/sdk.hpp>

namespace codestats::web {

class App;

// GET and HEAD: the profile or 404 JSON; OPTIONS: the CORS preflight.
void apiUser(App& app, const Request& req, Response& resp);
void apiUserPreflight(const Request& req, Response& resp);
// GET /users/:name/badge.svg[?language=NAME]: the level badge (docs/web.md "Badges"); 404
// JSON for an unknown or private user or a language without XP.
void profileBadge(App& app, const Request& req, Response& resp);

// The §4 lookup name of a path segment: URL-decoded, then every '+' a space.
struct LookupName {
  std::string decoded;  // compared with the stored name for the canonical redirect
  std::string name;     // looked up
};
LookupName lookupName(std::string_view segment);

}  // namespace codestats::web
