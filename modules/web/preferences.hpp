// Preferences (email, Gravatar email, private profile, password change, account deletion)
// and the terms consent flow (spec §7.7, §7.9).
#pragma once

#include "app.hpp"

namespace codestats::web {

void preferencesPage(App& app, Ctx& c);
void changePreferences(App& app, Ctx& c);  // PUT edit/password, DELETE account
void consentPage(App& app, Ctx& c);
void acceptConsent(App& app, Ctx& c);
void consentDelete(App& app, Ctx& c);
void myProfile(App& app, Ctx& c);

}  // namespace codestats::web
