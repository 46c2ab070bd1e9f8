// GET /api/users/:name, the JSON profile API third-party tools read (spec §4, §13.4).
#pragma once

#include <codestats/sdk.hpp>

#include "profile_store.hpp"
#include "rendered_profiles.hpp"

namespace codestats::web {

// GET and HEAD: the profile or 404 JSON; OPTIONS: the CORS preflight.
void apiUser(ProfileStore& store, RenderedProfiles& rendered, const Request& req, Response& resp);
void apiUserPreflight(const Request& req, Response& resp);

// The §4 lookup name of a path segment: URL-decoded, then every '+' a space.
struct LookupName {
  std::string decoded;  // compared with the stored name for the canonical redirect
  std::string name;     // looked up
};
LookupName lookupName(std::string_view segment);

}  // namespace codestats::web
