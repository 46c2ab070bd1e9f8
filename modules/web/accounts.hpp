// Signup, login, logout (spec §7.2-§7.5).
#pragma once

#include "app.hpp"

namespace codestats::web {

void signupPage(App& app, Ctx& c);
void signup(App& app, Ctx& c);
void loginPage(App& app, Ctx& c);
void login(App& app, Ctx& c);
void logout(App& app, Ctx& c);

}  // namespace codestats::web
