// The web module: the HTML site and, in part 2, the JSON profile API. It owns accounts and
// machines (users, machines, sessions, password_resets, remember_tokens, web_settings).
// This file only registers things; the pages live in one file per area (docs/web.md).
#include <codestats/sdk.hpp>

#include <memory>

#include "account_import.hpp"
#include "accounts.hpp"
#include "admin_commands.hpp"
#include "api_users.hpp"
#include "app.hpp"
#include "exports.hpp"
#include "graphiql_page.hpp"
#include "graphql_route.hpp"
#include "machines.hpp"
#include "not_found.hpp"
#include "password_reset.hpp"
#include "preferences.hpp"
#include "profile.hpp"
#include "assets.hpp"
#include "avatar.hpp"
#include "schema.hpp"
#include "static_pages.hpp"

// One definition for the descriptor and the health answer.
#define WEB_MODULE_VERSION "0.5.0"

namespace {

using namespace codestats::web;

class WebModule : public codestats::Module {
 public:
  explicit WebModule(codestats::Host host)
      : Module(host), app_(std::make_unique<App>(this->host())),
        avatars_(std::make_unique<AvatarProxy>(app_->config())) {
    for (const auto& m : webMigrations()) migration(m.version, m.name, m.sqlite, m.postgres);
    // Web's tables (docs/data-ownership.md). Ingest's pulses and aggregates are read through
    // ingest.xp and changed only through the ingest.v1 service.
    ownsTables(
        {"users", "machines", "sessions", "password_resets", "remember_tokens", "web_settings", "import_id_map"});
    publishes("web.accounts", 1, {"users", "machines"});
    uses("ingest.xp", 1);

    route("GET", "/health/web", [](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"web","status":"ok","version":")" WEB_MODULE_VERSION R"("})");
    });

    // The JSON and GraphQL profile APIs (spec §4, §9): outside the HTML pipeline. The profile
    // answer and page are quick routes: from a kept body they take microseconds, and the host
    // serves them from its event loop without a request thread (docs/web.md "Kept bodies").
    quickRoute(
        "GET", "/api/users/:name",
        [this](const codestats::Request& req, codestats::Response& resp) { apiUser(*app_, req, resp); },
        kQuickInflight);
    route("OPTIONS", "/api/users/:name", apiUserPreflight);
    quickRoute(
        "GET", "/users/:name/badge.svg",
        [this](const codestats::Request& req, codestats::Response& resp) { profileBadge(*app_, req, resp); },
        kBadgeInflight);
    route("GET", "/assets/:name", serveAsset);
    // The Gravatar proxy: outside the page pipeline (an image gets no consent redirect and
    // no HTML error page); the session is read for private profiles (docs/web.md "Avatar").
    route("GET", "/users/:name/avatar",
          [this](const codestats::Request& req, codestats::Response& resp) { avatars_->serve(*app_, req, resp); });
    route("*", "/profile-graph", [this](const codestats::Request& req, codestats::Response& resp) {
      profileGraph(*app_, app_->profiles(), req, resp);
    });

    page("GET", "/", Access::Anyone, homePage);
    page("GET", "/api-docs", Access::Anyone, apiDocsPage);
    page("GET", "/plugins", Access::Anyone, pluginsPage);
    page("GET", "/changes", Access::Anyone, changesPage);
    page("GET", "/aliases", Access::Anyone, aliasesPage);
    page("GET", "/tos", Access::Anyone, tosPage);
    page("GET", "/support", Access::Anyone, supportPage);
    page("GET", "/signup", Access::LoggedOut, signupPage);
    page("POST", "/signup", Access::LoggedOut, signup);
    page("GET", "/login", Access::LoggedOut, loginPage);
    page("POST", "/login", Access::LoggedOut, login);
    page("GET", "/logout", Access::Anyone, logout);
    page("GET", "/forgot-password", Access::LoggedOut, forgotPasswordPage);
    page("POST", "/forgot-password", Access::LoggedOut, forgotPassword);
    page("GET", "/reset-password/:token", Access::LoggedOut, resetPasswordPage);
    page("*", "/reset-password/:token", Access::LoggedOut, resetPassword);

    page("GET", "/profile-graphiql", Access::Anyone, graphiqlPage);
    quickPage("GET", "/users/:name", Access::Anyone, profilePage);
    page("GET", "/my/profile", Access::LoggedIn, myProfile);
    page("GET", "/my/preferences", Access::LoggedIn, preferencesPage);
    page("*", "/my/preferences", Access::LoggedIn, changePreferences);
    page("GET", "/my/consent", Access::LoggedIn, consentPage);
    page("POST", "/my/consent", Access::LoggedIn, acceptConsent);
    page("*", "/my/consent-delete", Access::LoggedIn, consentDelete);

    page("GET", "/my/machines", Access::LoggedIn, machinesPage);
    page("POST", "/my/machines", Access::LoggedIn, createMachine);
    page("GET", "/my/machines/:id", Access::LoggedIn, machinePage);
    page("*", "/my/machines/:id", Access::LoggedIn, changeMachine);
    page("POST", "/my/machines/:id/activate", Access::LoggedIn, activateMachine);
    page("POST", "/my/machines/:id/deactivate", Access::LoggedIn, deactivateMachine);
    page("POST", "/my/machines/:id/key", Access::LoggedIn, regenerateMachineKey);
    page("GET", "/my/machines/:id/key", Access::LoggedIn, confirmKeyRegeneration);
    page("GET", "/my/machines/:id/delete", Access::LoggedIn, confirmMachineDelete);

    page("GET", "/my/pulses", Access::LoggedIn, exportPulses, Format::Csv);
    page("GET", "/my/private", Access::LoggedIn, exportPrivate, Format::Csv);

    // Paths no route knows: the "Not found" page in the layout for browsers, JSON for API
    // clients (spec §2.6). A fallback never hides a 405 (docs/decisions.md).
    route("*", "/*path",
          [this](const codestats::Request& req, codestats::Response& resp) { routeNotFound(*app_, req, resp); });

    every("purge-expired", std::chrono::minutes(10), [this] { purgeExpiredResets(*app_); });

    command("create-user", "create-user USERNAME [--private]: creates a user and prints its id",
            [this](const Args& a) { return cmdCreateUser(*app_, a); });
    command("create-machine", "create-machine USERNAME MACHINE_NAME: creates a machine and prints its API token",
            [this](const Args& a) { return cmdCreateMachine(*app_, a); });
    command("machine-token", "machine-token USERNAME MACHINE_NAME: prints the machine's API token",
            [this](const Args& a) { return cmdMachineToken(*app_, a); });
    command("set-machine-active", "set-machine-active USERNAME MACHINE_NAME true|false: (de)activates a machine",
            [this](const Args& a) { return cmdSetMachineActive(*app_, a); });
    command("delete-machine", "delete-machine USERNAME MACHINE_NAME: deletes the machine and (through ingest) its XP",
            [this](const Args& a) { return cmdDeleteMachine(*app_, a); });
    command("set-signups", "set-signups open|closed: allows or refuses new accounts from /signup",
            [this](const Args& a) { return cmdSetSignups(*app_, a); });
    command("reset-password", "reset-password USERNAME: sets and prints a new random password, logs the user out",
            [this](const Args& a) { return cmdResetPassword(*app_, a); });
    command("import-accounts",
            "import-accounts SOURCE check|write JSON: users and machines of an original Code::Stats database "
            "(codestatsctl import-codestats sends them)",
            [this](const Args& a) { return cmdImportAccounts(*app_, a); });
    command("delete-user", "delete-user USERNAME: deletes the account, its machines and (through ingest) its XP",
            [this](const Args& a) { return cmdDeleteUser(*app_, a); });
  }

 private:
  // Calls at once per quick route, out of http.batch_threads (8): the two profile routes 3
  // each, the badge 1, so 7 at most and one thread always free for ingest's pulse route.
  static constexpr uint32_t kQuickInflight = 3;
  static constexpr uint32_t kBadgeInflight = 1;

  void quickPage(const char* method, const char* pattern, Access access, void (*fn)(App&, Ctx&)) {
    quickRoute(
        method, pattern,
        [this, access, fn](const codestats::Request& req, codestats::Response& resp) {
          app_->handle(req, resp, access, Format::Html, fn);
        },
        kQuickInflight);
  }
  void page(const char* method, const char* pattern, Access access, void (*fn)(App&, Ctx&),
            Format format = Format::Html) {
    route(method, pattern, [this, access, fn, format](const codestats::Request& req, codestats::Response& resp) {
      app_->handle(req, resp, access, format, fn);
    });
  }

  std::unique_ptr<App> app_;
  std::unique_ptr<AvatarProxy> avatars_;
};

}  // namespace

CODESTATS_MODULE(WebModule, "web", WEB_MODULE_VERSION, 1)
