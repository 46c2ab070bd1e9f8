#include "accounts.hpp"

#include "common/ascii.hpp"
#include "passwords.hpp"
#include "schema.hpp"

namespace codestats::web {
namespace {

void renderSignup(App& app, Ctx& c, int status, const FieldErrors& errors) {
  Data d;
  d.set("username", c.field("user[username]").value_or(""));
  d.set("email", c.field("user[email]").value_or(""));
  d.set("signups_closed", !app.users().signupsEnabled());
  Pages::putErrors(d, errors);
  app.pages().render(c, status, "signup", d, "Sign up");
}

void renderLogin(App& app, Ctx& c, int status, const std::string& username) {
  Data d;
  d.set("username", username);
  app.pages().render(c, status, "login", d, "Log in");
}

}  // namespace

void signupPage(App& app, Ctx& c) { renderSignup(app, c, 200, {}); }

void signup(App& app, Ctx& c) {
  if (!app.users().signupsEnabled())
    return app.pages().errorPage(c, 403, "Signups are closed",
                                 "This server does not accept new accounts at the moment.");
  auto username = c.field("user[username]");
  auto password = c.field("user[password]");
  auto email = c.field("user[email]");
  if (!username && !password && !email) return app.pages().badRequest(c, "The signup form is missing its fields.");
  FieldErrors errors;
  validateUsername(username, errors);
  validatePassword(password, errors);
  validateEmail(email, errors);
  // The original left these to the browser; a server that records consent checks it.
  if (!c.field("user[not-underage]")) errors["not_underage"].push_back("must be accepted");
  if (!c.field("user[accept-terms]")) errors["accept_terms"].push_back("must be accepted");
  if (!errors.count("username") && app.users().byNameCaseless(*username)) errors["username"].push_back(kTaken);
  if (!errors.empty()) return renderSignup(app, c, 400, errors);

  std::string hash = hashPassword(*password);
  int64_t now = nowMs();
  std::optional<std::string> storedEmail = email && !email->empty() ? email : std::nullopt;
  try {
    auto r = app.host().query(
        "INSERT INTO users (username, email, password_hash, private_profile, terms_version, inserted_at, updated_at) "
        "VALUES ($1, $2, $3, 0, $4, $5, $5) RETURNING id",
        {*username, storedEmail, hash, kCurrentTermsVersion, now});
    User u;
    u.id = r[0].i64(0);
    u.username = *username;
    app.users().publishUserChanged(u);
  } catch (const Error&) {
    // Lost a race with a signup of the same name (unique index).
    if (!app.users().byNameCaseless(*username)) throw;
    errors["username"].push_back(kTaken);
    return renderSignup(app, c, 400, errors);
  }
  app.pages().redirectWithFlash(
      c, "/login", "success",
      "Great success! Your account was created and you can now log in with the details you provided.");
}

void loginPage(App& app, Ctx& c) { renderLogin(app, c, 200, ""); }

void login(App& app, Ctx& c) {
  auto username = c.field("username");
  auto password = c.field("password");
  if (!username || !password) return app.pages().badRequest(c, "The login form needs a username and a password.");
  std::string account = common::lowerAscii(*username);
  if (!app.withinLimit(c, app.config().loginPerIp, "login-ip", c.clientIp())) return;
  if (!app.withinLimit(c, app.config().loginPerAccount, "login-account", account)) return;

  auto user = app.users().byNameCaseless(*username);
  bool ok = false;
  if (user && user->passwordHash) {
    ok = verifyPassword(*password, *user->passwordHash);
  } else {
    dummyVerify(*password);  // the same work as for a real account
  }
  if (!ok) {
    c.flashes.push_back({"error", "Wrong username and/or password!"});
    return renderLogin(app, c, 404, *username);
  }
  if (needsRehash(*user->passwordHash)) {
    // An imported bcrypt hash (or older argon2 parameters) is replaced while we know the password.
    app.host().query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
                     {hashPassword(*password), nowMs(), user->id});
  }
  app.sessions().logIn(c, *user);
  if (c.field("remember-me")) app.sessions().setRememberMe(c, user->id);
  app.pages().redirect(c, "/my/profile");
}

void logout(App& app, Ctx& c) {
  app.sessions().logOut(c);
  app.pages().redirect(c, "/");
}

}  // namespace codestats::web
