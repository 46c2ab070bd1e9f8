// GET /profile-graphiql: the GraphiQL IDE for /profile-graph (spec §2.3, §9; docs/graphql.md).
#pragma once

#include "app.hpp"

namespace codestats::web {

void graphiqlPage(App& app, Ctx& c);

}  // namespace codestats::web
