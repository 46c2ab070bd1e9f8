// The mail module: outgoing mail (issue 8; docs/mail.md). Registration only: settings and
// transport in mail_settings.cpp, the outbox and its delivery in outbox.cpp, mass mail in
// campaigns.cpp, the mail.v1 service in mail_service.cpp, the pure logic (validation,
// templates, transports) in mail_core.cpp, mail_templates.cpp and transports.cpp.
//
// mail.v1 service:
//   send           {to, subject, text, html?, tag?}             -> {"id": N}
//   send_template  {template:"password_reset", to, vars:{username, reset_url, site_url?}, tag?}
//                                                                -> {"id": N}
// Both validate and write one row to the durable outbox (mail_outbox); nothing is sent in
// the caller's request. The "deliver" timer claims due rows (a DB lease, claimed_until,
// so two generations overlapping during a reload never send the same row at once),
// delivers them through the configured transport (file | mailgun | smtp) and marks a row
// sent only after the provider accepted it. Network errors, 429 and 5xx are retried with
// exponential backoff and jitter; other 4xx fail permanently with the provider's message.
// Delivery is at-least-once (docs/decisions.md).
#include <codestats/sdk.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "campaigns.hpp"
#include "mail_service.hpp"
#include "mail_settings.hpp"
#include "outbox.hpp"

#define MAIL_MODULE_VERSION "1.0.0"

namespace {

using codestats::Error;
using Args = std::vector<std::string>;
namespace mail = codestats::mail;

class MailModule : public codestats::Module {
 public:
  explicit MailModule(codestats::Host h)
      : Module(h), settings_(checkedSettings(host())), transport_(mail::makeTransport(host(), settings_, ssl_)),
        resetTemplates_(mail::loadResetTemplates(host())), outbox_(host(), settings_, *transport_),
        campaigns_(host(), settings_, outbox_), service_(outbox_, resetTemplates_, settings_.siteUrl) {
    migration(1, "mail outbox and campaigns", mail::kOutboxSqlite, mail::kOutboxPostgres);
    ownsTables({"mail_outbox", "mail_campaigns", "mail_campaign_recipients"});
    uses("web.accounts", 1);  // campaign recipients: users' addresses

    provide("mail", 1, [this](std::string_view method, std::string_view req) { return service_.serve(method, req); });
    every("deliver", std::chrono::milliseconds(settings_.pollMs), [this] {
      outbox_.deliverDue();
      outbox_.reportQueueDepth();
    });
    every("campaigns", std::chrono::milliseconds(1000), [this] { campaigns_.advance(); });

    command("status", "mail.status: queued/sent/failed counts of the outbox, as JSON",
            [this](const Args&) { return outbox_.statusJson(); });
    command("retry-failed", "mail.retry-failed [ID]: requeue failed mail (all, or one id)",
            [this](const Args& a) { return outbox_.retryFailed(a); });
    command("send-test", "mail.send-test TO: queues a test message to TO",
            [this](const Args& a) { return outbox_.sendTest(a); });
    command("send", "mail.send JSON: queues {to, subject, text, html?, tag?} through the mail.v1 service",
            [this](const Args& a) { return callSelf("send", a); });
    command("send-template", "mail.send-template JSON: queues {template, to, vars} through the mail.v1 service",
            [this](const Args& a) { return callSelf("send_template", a); });
    command("show", "mail.show ID: one outbox row as JSON", [this](const Args& a) { return outbox_.showJson(a); });
    command("mass-send",
            "mail.mass-send SUBJECT_FILE TEXT_FILE [HTML_FILE]: one message to every user with an email "
            "(bodies are mustache templates with {{username}}), throttled to mass_rate_per_s, resumable",
            [this](const Args& a) { return campaigns_.start(a); });
    command("campaigns", "mail.campaigns: mass-mail campaigns and their progress, as JSON",
            [this](const Args&) { return campaigns_.listJson(); });

    route("GET", "/health/mail", [this](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"mail","status":"ok","version":")" MAIL_MODULE_VERSION R"(","transport":")" +
                         transport_->name() + "\"}");
    });
  }

 private:
  static mail::MailSettings checkedSettings(codestats::Host& host) {
    host.rejectUnknownConfig({"transport",    "from",          "reply_to",       "poll_ms",         "batch_size",
                              "max_attempts", "backoff_ms",    "max_backoff_ms", "claim_ms",        "timeout_ms",
                              "file_dir",     "templates_dir", "site_url",       "mass_rate_per_s", "domain",
                              "api_key",      "base_url",      "tls_ca_file",    "smtp_host",       "smtp_port",
                              "smtp_user",    "smtp_password", "smtp_starttls",  "smtp_auth",       "smtp_helo"});
    return mail::readSettings(host);
  }

  // mail.send / mail.send-template go through the service, as another module's call would.
  std::string callSelf(const std::string& method, const Args& a) {
    if (a.size() != 1) throw Error(CS_E_INVALID, "usage: mail." + method + " JSON");
    auto out = host().call("mail", 1, method, a[0]);
    if (!out) throw Error(CS_E_UNAVAILABLE, "mail.v1 is not available");
    return *out;
  }

  // Declaration order is construction order: ssl_ before transport_ (destroyed after it).
  mail::SslRef ssl_;
  mail::MailSettings settings_;
  std::unique_ptr<mail::Transport> transport_;
  mail::TemplatePair resetTemplates_;
  mail::Outbox outbox_;
  mail::Campaigns campaigns_;
  mail::MailService service_;
};

}  // namespace

CODESTATS_MODULE(MailModule, "mail", MAIL_MODULE_VERSION, 1)
