// /profile-graph: GraphQL over HTTP (spec §9, docs/graphql.md) with the session user as viewer.
#pragma once

#include <codestats/sdk.hpp>

#include "app.hpp"
#include "profile_store.hpp"

namespace codestats::web {

void profileGraph(App& app, ProfileStore& store, const Request& req, Response& resp);

}  // namespace codestats::web
