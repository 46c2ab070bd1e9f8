#include "password_reset.hpp"

#include <codestats/json.hpp>

#include "passwords.hpp"
#include "secrets.hpp"

namespace codestats::web {
namespace {

constexpr const char* kSentText =
    "A password reset email will be sent shortly to the email address linked to the account, if the account had one. "
    "If you do not receive an email, please check that you typed the account name correctly.";
constexpr const char* kMailUnavailable =
    "Password reset by email is not available on this server: it has no mail service. Please contact the "
    "server's administrator.";

// mail.v1 answers an empty request with "invalid mail"; an absent service answers nothing.
bool mailAvailable(App& app) {
  try {
    return app.host().call("mail", 1, "send_template", "{}").has_value();
  } catch (const Error& e) {
    return e.code() != CS_E_NOT_FOUND && e.code() != CS_E_UNAVAILABLE;
  }
}

// The user id of a live token, or nothing.
std::optional<int64_t> liveToken(App& app, const std::string& token) {
  int64_t oldest = nowMs() - app.config().resetTokenHours * 3600 * 1000;
  auto r = app.host().query("SELECT user_id FROM password_resets WHERE token_hash = $1 AND inserted_at >= $2",
                            {sha256Hex(token), oldest});
  if (r.empty()) return std::nullopt;
  return r[0].i64(0);
}

void renderResetForm(App& app, Ctx& c, int status, const std::string& token, const FieldErrors& errors) {
  Data d;
  d.set("token", token);
  Pages::putErrors(d, errors);
  app.pages().render(c, status, "reset_password", d, "Reset password");
}

void invalidToken(App& app, Ctx& c) {
  app.pages().errorPage(
      c, 404, "Not found",
      "This password reset link is invalid, has expired (links are valid for 4 hours) or has already been "
      "used. Please request a new one.");
}

}  // namespace

void forgotPasswordPage(App& app, Ctx& c) {
  Data d;
  d.set("mail_unavailable", !mailAvailable(app));
  app.pages().render(c, 200, "forgot_password", d, "Forgot password");
}

void forgotPassword(App& app, Ctx& c) {
  auto username = c.field("password_reset[username]");
  if (!username) return app.pages().badRequest(c, "The form needs a username.");
  if (!app.withinLimit(c, app.config().resetPerIp, "reset-ip", c.clientIp())) return;
  if (!app.withinLimit(c, app.config().resetPerAccount, "reset-account", *username)) return;
  if (!mailAvailable(app)) {
    // The same answer for every username: it tells nothing about which accounts exist.
    Data d;
    d.set("mail_unavailable", true);
    c.flashes.push_back({"error", kMailUnavailable});
    return app.pages().render(c, 503, "forgot_password", d, "Forgot password");
  }
  // Exact, case-sensitive match, as the original.
  auto user = app.users().byNameExact(*username);
  if (user && user->email) {
    std::string token = randomUuid();
    app.host().query("INSERT INTO password_resets (token_hash, user_id, inserted_at) VALUES ($1, $2, $3)",
                     {sha256Hex(token), user->id, nowMs()});
    std::string request = "{\"template\":\"password_reset\",\"to\":" + jsonString(*user->email) +
                          ",\"tag\":\"password_reset\",\"vars\":{\"username\":" + jsonString(user->username) +
                          ",\"reset_url\":" + jsonString(app.pages().absoluteUrl(c, "/reset-password/" + token)) + "}}";
    try {
      app.host().call("mail", 1, "send_template", request);
    } catch (const Error& e) {
      // An address the mail module refuses: logged for the operator, the answer stays the same.
      app.host().warn(std::string("password reset mail for user ") + std::to_string(user->id) +
                      " not queued: " + e.what());
    }
  }
  app.pages().redirectWithFlash(c, "/forgot-password", "info", kSentText);
}

void resetPasswordPage(App& app, Ctx& c) {
  std::string token(c.req.param("token").value_or(""));
  if (!isUuid(token)) return app.pages().badRequest(c, "The password reset link is malformed.");
  if (!liveToken(app, token)) return invalidToken(app, c);
  renderResetForm(app, c, 200, token, {});
}

void resetPassword(App& app, Ctx& c) {
  if (c.method != "PUT") {
    c.resp.header("Allow", "GET, PUT");
    return app.pages().errorPage(c, 405, "Method not allowed", "This address accepts GET and PUT.");
  }
  std::string token(c.req.param("token").value_or(""));
  if (!isUuid(token)) return app.pages().badRequest(c, "The password reset link is malformed.");
  auto password = c.field("user[password]");
  if (!password) return app.pages().badRequest(c, "The form needs a new password.");
  auto userId = liveToken(app, token);
  if (!userId)
    return app.pages().redirectWithFlash(
        c, "/reset-password/" + token, "error",
        "Unable to reset password. The password reset token may have expired. Please try requesting a new token.");
  FieldErrors errors;
  validatePassword(password, errors);
  if (!errors.empty()) return renderResetForm(app, c, 400, token, errors);
  std::string hash = hashPassword(*password);
  bool used = false;
  app.host().transaction([&](Tx& tx) {
    // Single use: the DELETE decides, so two concurrent submissions cannot both succeed.
    used = tx.query("DELETE FROM password_resets WHERE token_hash = $1", {sha256Hex(token)}).affected() == 1;
    if (!used) return;
    tx.query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3", {hash, nowMs(), *userId});
    tx.query("DELETE FROM password_resets WHERE user_id = $1", {*userId});
  });
  if (!used)
    return app.pages().redirectWithFlash(
        c, "/reset-password/" + token, "error",
        "Unable to reset password. The password reset token may have expired. Please try requesting a new token.");
  app.sessions().revokeUserSessions(*userId, "");
  if (auto u = app.users().byId(*userId)) app.users().publishUserChanged(*u);
  app.pages().redirectWithFlash(c, "/login", "success",
                                "Password reset successfully. You can now log in with the new password.");
}

void purgeExpiredResets(App& app) {
  int64_t now = nowMs();
  app.host().query("DELETE FROM password_resets WHERE inserted_at < $1",
                   {now - app.config().resetTokenHours * 3600 * 1000});
  app.host().query("DELETE FROM sessions WHERE expires_at < $1", {now});
  app.host().query("DELETE FROM remember_tokens WHERE expires_at < $1", {now});
}

}  // namespace codestats::web
