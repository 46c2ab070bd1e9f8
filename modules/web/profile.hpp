// The profile page /users/:name (spec §7.10) and the front page / (§7.1), server-rendered
// from ProfileStore so they read without JavaScript; the bundle (docs/frontend.md) then
// keeps them live.
#pragma once

#include "app.hpp"

namespace codestats::web {

void profilePage(App& app, Ctx& c);
void homePage(App& app, Ctx& c);

}  // namespace codestats::web
