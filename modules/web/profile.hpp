// The profile page /users/:name. Part 1 shows the total and per-language XP from ingest's
// aggregate tables; part 2 (issue 6) replaces it with levels, charts and live updates.
#pragma once

#include "app.hpp"

namespace codestats::web {

void profilePage(App& app, Ctx& c);
// A placeholder front page `/` (part 2 replaces it with the live one), so that logout and
// account deletion land on a page that shows their flash.
void homePage(App& app, Ctx& c);

// 1234567 -> "1,234,567" (spec §5).
std::string formatXp(int64_t xp);

}  // namespace codestats::web
