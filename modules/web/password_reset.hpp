// Forgot / reset password (spec §7.6): a random UUID token stored as its SHA-256, valid
// 4 hours, single use, mailed through the mail.v1 service.
#pragma once

#include "app.hpp"

namespace codestats::web {

void forgotPasswordPage(App& app, Ctx& c);
void forgotPassword(App& app, Ctx& c);
void resetPasswordPage(App& app, Ctx& c);
void resetPassword(App& app, Ctx& c);  // PUT
// Deletes expired tokens (timer).
void purgeExpiredResets(App& app);

}  // namespace codestats::web
