#include "preferences.hpp"

#include "passwords.hpp"
#include "schema.hpp"
#include "views.hpp"

namespace codestats::web {
namespace {

struct PrefsForm {
  std::string email, gravatarEmail;
  bool privateProfile = false;
};

void renderPrefs(App& app, Ctx& c, int status, const PrefsForm& f, const FieldErrors& errors) {
  Data d;
  d.set("email", f.email);
  d.set("gravatar_email", f.gravatarEmail);
  d.set("private_profile", f.privateProfile);
  Pages::putErrors(d, errors);
  app.pages().render(c, status, "preferences", d, "Preferences");
}

PrefsForm storedPrefs(const User& u) { return {u.email.value_or(""), u.gravatarEmail.value_or(""), u.privateProfile}; }

void updateDetails(App& app, Ctx& c) {
  PrefsForm f;
  f.email = c.field("user[email]").value_or("");
  f.gravatarEmail = c.field("user[gravatar_email]").value_or("");
  auto priv = c.field("user[private_profile]");
  f.privateProfile = priv && (*priv == "true" || *priv == "on");
  FieldErrors errors;
  validateEmail(f.email, errors, "email");
  validateEmail(f.gravatarEmail, errors, "gravatar_email");
  if (!errors.empty()) {
    c.flashes.push_back({"error", "Error updating preferences."});
    return renderPrefs(app, c, 400, f, errors);
  }
  auto orNull = [](const std::string& s) { return s.empty() ? std::optional<std::string>() : std::optional(s); };
  app.host().query(
      "UPDATE users SET email = $1, gravatar_email = $2, private_profile = $3, updated_at = $4 WHERE id = $5",
      {orNull(f.email), orNull(f.gravatarEmail), f.privateProfile ? 1 : 0, nowMs(), c.user->id});
  User u = *c.user;
  u.privateProfile = f.privateProfile;
  app.users().publishUserChanged(u);
  app.pages().redirectWithFlash(c, "/my/preferences", "success", "Preferences updated!");
}

void changePassword(App& app, Ctx& c) {
  auto oldPassword = c.field("user[old_password]");
  auto password = c.field("user[password]");
  if (!oldPassword || !password)
    return app.pages().badRequest(c, "The password form needs the old and the new password.");
  FieldErrors errors;
  if (!c.user->passwordHash || !verifyPassword(*oldPassword, *c.user->passwordHash))
    errors["old_password"].push_back("does not match your current password");
  validatePassword(password, errors);
  if (!errors.empty()) {
    c.flashes.push_back({"error", "Error changing password."});
    return renderPrefs(app, c, 400, storedPrefs(*c.user), errors);
  }
  app.host().query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
                   {hashPassword(*password), nowMs(), c.user->id});
  // Other browsers and remember-me cookies lose access; this session stays logged in.
  app.sessions().revokeUserSessions(c.user->id, c.sessionHash);
  app.users().publishUserChanged(*c.user);
  app.pages().redirectWithFlash(c, "/my/preferences", "success", "Password changed.");
}

// Shared by DELETE /my/preferences and DELETE /my/consent-delete.
void deleteAccount(App& app, Ctx& c, const std::string& backTo) {
  if (c.field("delete_confirmation").value_or("") != "DELETE")
    return app.pages().redirectWithFlash(c, backTo, "error",
                                         "Please confirm deletion by typing \"DELETE\" into the input field.");
  User u = *c.user;
  app.users().deleteUser(u);  // also removes every session of the user, this one included
  c.sessionHash.clear();
  c.user.reset();
  c.flashes.clear();
  app.sessions().logOut(c);
  app.pages().redirectWithFlash(c, "/", "info", "Your user account has been deleted.");
}

}  // namespace

void preferencesPage(App& app, Ctx& c) { renderPrefs(app, c, 200, storedPrefs(*c.user), {}); }

void changePreferences(App& app, Ctx& c) {
  if (c.method == "DELETE") return deleteAccount(app, c, "/my/preferences");
  if (c.method != "PUT") {
    c.resp.header("Allow", "GET, PUT, DELETE");
    return app.pages().errorPage(c, 405, "Method not allowed", "This address accepts GET, PUT and DELETE.");
  }
  auto type = c.field("user[type]").value_or("");
  if (type == "edit") return updateDetails(app, c);
  if (type == "password") return changePassword(app, c);
  c.flashes.push_back({"error", "Unknown error in preferences."});
  renderPrefs(app, c, 400, storedPrefs(*c.user), {});
}

namespace {

// The consent page shows the current terms themselves, the same text as /tos.
Data consentData(const Ctx& c) {
  Data d;
  d.set("accepted_version", c.user->termsVersion);
  d.set("current_version", kCurrentTermsVersion);
  addPartial(d, "terms");
  return d;
}

}  // namespace

void consentPage(App& app, Ctx& c) {
  Data d = consentData(c);
  app.pages().render(c, 200, "consent", d, "Legal terms");
}

void acceptConsent(App& app, Ctx& c) {
  if (!c.field("not-underage") || !c.field("accept-terms")) {
    c.flashes.push_back({"error", "You must check the acceptance checkboxes to accept the terms."});
    Data d = consentData(c);
    return app.pages().render(c, 400, "consent", d, "Legal terms");
  }
  app.host().query("UPDATE users SET terms_version = $1, updated_at = $2 WHERE id = $3",
                   {kCurrentTermsVersion, nowMs(), c.user->id});
  app.pages().redirectWithFlash(c, "/my/profile", "success", "You have accepted the new legal terms.");
}

void consentDelete(App& app, Ctx& c) {
  if (c.method != "DELETE") {
    c.resp.header("Allow", "DELETE");
    return app.pages().errorPage(c, 405, "Method not allowed", "This address accepts DELETE.");
  }
  deleteAccount(app, c, "/my/consent");
}

void myProfile(App& app, Ctx& c) { app.pages().redirect(c, "/users/" + encodePathSegment(c.user->username)); }

}  // namespace codestats::web
