// The mail module: outgoing mail (issue 8; docs/mail.md).
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
//
// Admin commands: mail.status, mail.retry-failed [ID], mail.send-test TO, mail.send JSON,
// mail.send-template JSON, mail.show ID, mail.mass-send SUBJECT_FILE TEXT_FILE [HTML_FILE],
// mail.campaigns.
#include <codestats/sdk.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/URI.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "mail_core.hpp"
#include "mail_templates.hpp"
#include "mail_templates_embedded.hpp"
#include "transports.hpp"

#define MAIL_MODULE_VERSION "1.0.0"

namespace {

using codestats::Error;
using codestats::Param;
namespace mail = codestats::mail;
namespace fs = std::filesystem;

constexpr char kOutboxSqlite[] = R"SQL(
CREATE TABLE IF NOT EXISTS mail_outbox (id INTEGER PRIMARY KEY, to_addr TEXT NOT NULL, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NULL, tag TEXT NULL, status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, last_error TEXT NULL, provider_id TEXT NULL, created_at BIGINT NOT NULL, sent_at BIGINT NULL, claimed_until BIGINT NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS mail_outbox_due_index ON mail_outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS mail_campaigns (id INTEGER PRIMARY KEY, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NULL, status TEXT NOT NULL DEFAULT 'running', created_at BIGINT NOT NULL, finished_at BIGINT NULL);
CREATE TABLE IF NOT EXISTS mail_campaign_recipients (campaign_id BIGINT NOT NULL, user_id BIGINT NOT NULL, outbox_id BIGINT NULL, skipped TEXT NULL, PRIMARY KEY (campaign_id, user_id));
)SQL";

constexpr char kOutboxPostgres[] = R"SQL(
CREATE TABLE IF NOT EXISTS mail_outbox (id BIGSERIAL PRIMARY KEY, to_addr TEXT NOT NULL, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NULL, tag TEXT NULL, status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, last_error TEXT NULL, provider_id TEXT NULL, created_at BIGINT NOT NULL, sent_at BIGINT NULL, claimed_until BIGINT NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS mail_outbox_due_index ON mail_outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS mail_campaigns (id BIGSERIAL PRIMARY KEY, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NULL, status TEXT NOT NULL DEFAULT 'running', created_at BIGINT NOT NULL, finished_at BIGINT NULL);
CREATE TABLE IF NOT EXISTS mail_campaign_recipients (campaign_id BIGINT NOT NULL, user_id BIGINT NOT NULL, outbox_id BIGINT NULL, skipped TEXT NULL, PRIMARY KEY (campaign_id, user_id));
)SQL";

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string readTextFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in || fs::is_directory(path)) throw Error(CS_E_INVALID, "cannot read " + what + " '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// NetSSL's reference-counted OpenSSL setup, released with the instance (also when the
// constructor throws after init()).
struct SslRef {
  bool on = false;
  void init() {
    Poco::Net::initializeSSL();
    on = true;
  }
  ~SslRef() {
    if (on) Poco::Net::uninitializeSSL();
  }
};

class MailModule : public codestats::Module {
 public:
  explicit MailModule(codestats::Host h) : Module(h) {
    host().rejectUnknownConfig({"transport", "from", "reply_to", "poll_ms", "batch_size", "max_attempts", "backoff_ms",
                                "max_backoff_ms", "claim_ms", "timeout_ms", "file_dir", "templates_dir", "site_url",
                                "mass_rate_per_s", "domain", "api_key", "base_url", "tls_ca_file", "smtp_host",
                                "smtp_port", "smtp_user", "smtp_password", "smtp_starttls", "smtp_auth", "smtp_helo"});
    configure();
    loadTemplates();

    migration(1, "mail outbox and campaigns", kOutboxSqlite, kOutboxPostgres);
    ownsTables({"mail_outbox", "mail_campaigns", "mail_campaign_recipients"});
    uses("web.accounts", 1);  // campaign recipients: users' addresses

    provide("mail", 1, [this](std::string_view method, std::string_view req) { return serve(method, req); });
    every("deliver", std::chrono::milliseconds(pollMs_), [this] {
      deliverDue();
      reportQueueDepth();
    });
    every("campaigns", std::chrono::milliseconds(1000), [this] { advanceCampaigns(); });
    registerCommands();

    route("GET", "/health/mail", [this](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"mail","status":"ok","version":")" MAIL_MODULE_VERSION R"(","transport":")" +
                         transport_->name() + "\"}");
    });
  }

 private:

  // ---- configuration ----
  int64_t intKey(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
    int64_t v = host().configInt(key, fallback);
    if (v < lo || v > hi)
      throw Error(CS_E_INVALID, "mail: config key modules.mail." + key + " must be between " + std::to_string(lo) +
                                    " and " + std::to_string(hi) + ", got " + std::to_string(v));
    return v;
  }

  void configure() {
    mail::ConfigMap cfg;
    for (auto key : host().configKeys()) {
      auto v = host().config(key);
      cfg[std::string(key)] = v ? std::string(*v) : std::string();
    }
    pollMs_ = intKey("poll_ms", 200, 10, 60000);
    batchSize_ = intKey("batch_size", 20, 1, 1000);
    maxAttempts_ = intKey("max_attempts", 8, 1, 100);
    backoffMs_ = intKey("backoff_ms", 30000, 1, 86400000);
    maxBackoffMs_ = intKey("max_backoff_ms", 3600000, 1, 7 * 86400000LL);
    timeoutMs_ = intKey("timeout_ms", 15000, 100, 600000);
    claimMs_ = intKey("claim_ms", 120000, 100, 86400000);
    if (claimMs_ < 3 * timeoutMs_)
      throw Error(CS_E_INVALID, "mail: config key modules.mail.claim_ms (" + std::to_string(claimMs_) +
                                    ") must be at least 3 x timeout_ms (" + std::to_string(timeoutMs_) + ")");
    massRate_ = intKey("mass_rate_per_s", 10, 1, 10000);
    siteUrl_ = host().config("site_url", "");

    std::string transport = host().config("transport", "file");
    mail::CommonSettings common;
    common.timeoutMs = timeoutMs_;
    try {
      if (transport != "file" && transport != "mailgun" && transport != "smtp")
        throw std::invalid_argument("mail: config key modules.mail.transport: expected file, mailgun or smtp, got '" +
                                    transport + "'");
      if (transport == "mailgun") {  // the required keys, in the documented order
        if (cfg["domain"].empty()) throw std::invalid_argument("mail: transport 'mailgun' needs config key modules.mail.domain");
        if (cfg["api_key"].empty()) throw std::invalid_argument("mail: transport 'mailgun' needs config key modules.mail.api_key");
      }
      if (transport == "smtp" && cfg["smtp_host"].empty())
        throw std::invalid_argument("mail: transport 'smtp' needs config key modules.mail.smtp_host");
      std::string from = host().config("from", "");
      if (from.empty()) {
        if (transport != "file")
          throw std::invalid_argument("mail: transport '" + transport + "' needs config key modules.mail.from");
        from = "Code::Stats <noreply@codestats.localhost>";
      }
      common.from = mail::parseMailbox(from, "modules.mail.from");
      std::string replyTo = host().config("reply_to", "");
      if (!replyTo.empty()) common.replyTo = mail::parseMailbox(replyTo, "modules.mail.reply_to");
      if (transport == "file") {
        std::string dir = host().config("file_dir", "");
        if (dir.empty()) dir = (fs::path(host().config("host.var_dir", "var")) / "mail").string();
        transport_ = mail::makeFileTransport(dir, common);
      } else if (transport == "mailgun" || transport == "smtp") {
        // NetSSL's reference-counted OpenSSL setup; balanced in the destructor. The module
        // installs nothing into SSLManager: every session gets its own explicit Context.
        ssl_.init();
        transport_ = transport == "mailgun" ? mail::makeMailgunTransport(cfg, common) : mail::makeSmtpTransport(cfg, common);
      } else {
        throw std::invalid_argument("mail: config key modules.mail.transport: expected file, mailgun or smtp, got '" +
                                    transport + "'");
      }
    } catch (const std::invalid_argument& e) {
      throw Error(CS_E_INVALID, e.what());
    }
  }

  void loadTemplates() {
    std::string dir = host().config("templates_dir", "");
    if (dir.empty()) {
      resetTemplates_.text = mail::embedded::password_reset_txt_mustache;
      resetTemplates_.html = mail::embedded::password_reset_html_mustache;
    } else {
      resetTemplates_.text = readTextFile((fs::path(dir) / "password_reset.txt.mustache").string(), "mail template");
      resetTemplates_.html = readTextFile((fs::path(dir) / "password_reset.html.mustache").string(), "mail template");
    }
    try {
      mail::checkTemplate("password_reset.txt.mustache", resetTemplates_.text);
      mail::checkTemplate("password_reset.html.mustache", resetTemplates_.html);
    } catch (const std::invalid_argument& e) {
      throw Error(CS_E_INVALID, e.what());
    }
  }

  // ---- the service ----
  std::string serve(std::string_view method, std::string_view req) {
    try {
      if (method == "send") return idJson(enqueue(mail::parseSendRequest(req)));
      if (method == "send_template") return idJson(enqueue(parseTemplateRequest(req)));
    } catch (const mail::InvalidMail& e) {
      throw Error(CS_E_INVALID, std::string("invalid mail: ") + e.what());
    }
    throw Error(CS_E_NOT_FOUND, "mail.v1 has no method '" + std::string(method) + "' (send, send_template)");
  }

  static std::string idJson(int64_t id) { return "{\"id\":" + std::to_string(id) + "}"; }

  mail::Outgoing parseTemplateRequest(std::string_view json) {
    Poco::JSON::Object::Ptr o;
    try {
      o = Poco::JSON::Parser().parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
      throw mail::InvalidMail("the request must be a JSON object {template, to, vars}");
    }
    if (!o) throw mail::InvalidMail("the request must be a JSON object {template, to, vars}");
    std::string tmpl = o->optValue<std::string>("template", "");
    if (tmpl != "password_reset") throw mail::InvalidMail("unknown template '" + tmpl + "' (known: password_reset)");
    auto vars = o->getObject("vars");
    if (!vars) throw mail::InvalidMail("'vars' must be an object {username, reset_url}");
    auto var = [&](const std::string& k) -> std::string {
      if (!vars->has(k) || !vars->get(k).isString()) throw mail::InvalidMail("'vars." + k + "' must be a string");
      std::string v = vars->get(k).extract<std::string>();
      mail::checkHeaderValue("vars." + k, v);
      if (v.empty() || v.size() > 2048) throw mail::InvalidMail("'vars." + k + "' must be 1 to 2048 bytes");
      return v;
    };
    std::map<std::string, std::string> values{{"username", var("username")}, {"reset_url", var("reset_url")}};
    const std::string& url = values["reset_url"];
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
      throw mail::InvalidMail("'vars.reset_url' must be an absolute http(s) URL");
    std::string site = vars->has("site_url") ? var("site_url") : siteUrl_;
    if (site.empty()) {
      Poco::URI u(url);
      site = u.getScheme() + "://" + u.getAuthority();
    }
    values["site_url"] = site;
    Poco::JSON::Object req;
    if (o->has("to")) req.set("to", o->get("to"));
    req.set("subject", std::string(mail::kPasswordResetSubject));
    req.set("text", mail::renderTemplate(resetTemplates_.text, values));
    req.set("html", mail::renderTemplate(resetTemplates_.html, values));
    req.set("tag", o->optValue<std::string>("tag", "password-reset"));
    std::ostringstream s;
    req.stringify(s);
    return mail::parseSendRequest(s.str());
  }

  int64_t enqueue(const mail::Outgoing& m, codestats::Tx* tx = nullptr) {
    int64_t now = nowMs();
    std::string to = mail::joinRecipients(m.to);
    const char* sql =
        "INSERT INTO mail_outbox (to_addr, subject, text_body, html_body, tag, status, attempts, next_attempt_at, "
        "created_at, claimed_until) VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6, 0) RETURNING id";
    std::vector<Param> params{Param(to), Param(m.subject), Param(m.text), Param(m.html), Param(m.tag), Param(now)};
    codestats::Rows rows = tx ? tx->query(sql, params) : host().query(sql, params);
    host().counter("mail_queued");
    return rows[0].i64(0);
  }

  // ---- delivery ----
  void deliverDue() {
    if (host().draining()) return;
    int64_t now = nowMs();
    std::vector<int64_t> due;
    {
      codestats::Rows rows = host().query(
          "SELECT id FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= $1 AND claimed_until <= $1 "
          "ORDER BY next_attempt_at, id LIMIT $2",
          {now, batchSize_});
      for (size_t i = 0; i < rows.size(); ++i) due.push_back(rows[i].i64(0));
    }
    for (int64_t id : due) {
      if (host().draining()) return;
      now = nowMs();
      // The claim: only one deliverer (this or an overlapping generation or host) wins.
      codestats::Rows claim = host().query(
          "UPDATE mail_outbox SET claimed_until = $1 WHERE id = $2 AND status = 'queued' AND claimed_until <= $3",
          {now + claimMs_, id, now});
      if (claim.affected() != 1) continue;
      mail::StoredMessage m;
      int64_t attempts = 0;
      {
        codestats::Rows r = host().query(
            "SELECT id, to_addr, subject, text_body, html_body, tag, attempts, created_at FROM mail_outbox WHERE id = $1",
            {id});
        if (r.empty()) continue;
        m.id = r[0].i64(0);
        m.to = mail::splitRecipients(r[0].text(1));
        m.subject = std::string(r[0].text(2));
        m.text = std::string(r[0].text(3));
        m.html = r[0].optText(4);
        m.tag = r[0].optText(5);
        attempts = r[0].i64(6);
        m.createdAtMs = r[0].i64(7);
      }
      mail::Delivery d = transport_->deliver(m);
      record(m.id, attempts + 1, d);
    }
  }

  // codestats_mail_queue_depth: mail not yet sent or failed (queued, retrying or being
  // delivered), counted in the outbox so every generation and host reports the same.
  void reportQueueDepth() {
    if (host().draining()) return;
    codestats::Rows rows = host().query("SELECT COUNT(*) FROM mail_outbox WHERE status = 'queued'");
    host().gauge("queue_depth", static_cast<double>(rows[0].i64(0)));
  }

  void record(int64_t id, int64_t attempts, const mail::Delivery& d) {
    int64_t now = nowMs();
    if (d.outcome == mail::Outcome::Sent) {
      host().query(
          "UPDATE mail_outbox SET status = 'sent', sent_at = $1, provider_id = $2, attempts = $3, last_error = NULL, "
          "claimed_until = 0 WHERE id = $4",
          {now, d.providerId, attempts, id});
      host().counter("mail_sent");
      return;
    }
    std::string error = d.error.substr(0, 2000);
    if (d.outcome == mail::Outcome::Permanent || attempts >= maxAttempts_) {
      if (d.outcome == mail::Outcome::Retry) error = "gave up after " + std::to_string(attempts) + " attempts: " + error;
      host().query(
          "UPDATE mail_outbox SET status = 'failed', attempts = $1, last_error = $2, claimed_until = 0 WHERE id = $3",
          {attempts, error, id});
      host().counter("mail_failed");
      host().warn("mail " + std::to_string(id) + " failed: " + error);
      return;
    }
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    int64_t delay = mail::backoffDelayMs(attempts, backoffMs_, maxBackoffMs_, unit(rng_));
    delay = std::max(delay, std::min(d.retryAfterMs, maxBackoffMs_));
    host().query(
        "UPDATE mail_outbox SET attempts = $1, last_error = $2, next_attempt_at = $3, claimed_until = 0 WHERE id = $4",
        {attempts, error, now + delay, id});
    host().counter("mail_retries");
    host().info("mail " + std::to_string(id) + " attempt " + std::to_string(attempts) + " failed, retrying in " +
                std::to_string(delay) + " ms: " + error);
  }

  // ---- mass mail ----
  void advanceCampaigns() {
    if (host().draining()) return;
    codestats::Rows c =
        host().query("SELECT id, subject, text_body, html_body FROM mail_campaigns WHERE status = 'running' ORDER BY id LIMIT 1");
    if (c.empty()) return;
    int64_t cid = c[0].i64(0);
    std::string subject(c[0].text(1)), text(c[0].text(2));
    std::optional<std::string> html = c[0].optText(3);
    codestats::Rows users;
    try {
      users = host().query(
          "SELECT u.id, u.username, u.email FROM users u WHERE u.email IS NOT NULL AND u.email <> '' AND NOT EXISTS "
          "(SELECT 1 FROM mail_campaign_recipients r WHERE r.campaign_id = $1 AND r.user_id = u.id) ORDER BY u.id LIMIT $2",
          {cid, massRate_});
    } catch (const Error& e) {
      host().warn(std::string("mail: campaign ") + std::to_string(cid) + " waits: cannot read users: " + e.what());
      return;
    }
    if (users.empty()) {
      host().query("UPDATE mail_campaigns SET status = 'done', finished_at = $1 WHERE id = $2 AND status = 'running'",
                   {nowMs(), cid});
      host().info("mail: campaign " + std::to_string(cid) + " fully queued");
      return;
    }
    for (size_t i = 0; i < users.size(); ++i) {
      if (host().draining()) return;
      int64_t uid = users[i].i64(0);
      std::map<std::string, std::string> vars{{"username", std::string(users[i].text(1))},
                                              {"email", std::string(users[i].text(2))}};
      mail::Outgoing m;
      m.to = {std::string(users[i].text(2))};
      m.subject = subject;
      m.tag = "campaign-" + std::to_string(cid);
      std::string skipped;
      try {
        m.text = mail::renderTemplate(text, vars);
        if (html) m.html = mail::renderTemplate(*html, vars);
        mail::validate(m);
      } catch (const std::exception& e) {
        skipped = e.what();
      }
      // The recipient row and the outbox row commit together: a crash or a reload between
      // two users neither loses nor repeats one (unique (campaign_id, user_id)).
      host().transaction([&](codestats::Tx& tx) {
        codestats::Rows ins = tx.query(
            "INSERT INTO mail_campaign_recipients (campaign_id, user_id, outbox_id, skipped) VALUES ($1, $2, NULL, $3) "
            "ON CONFLICT (campaign_id, user_id) DO NOTHING",
            {cid, uid, skipped.empty() ? Param(nullptr) : Param(skipped)});
        if (ins.affected() != 1 || !skipped.empty()) return;
        int64_t oid = enqueue(m, &tx);
        tx.query("UPDATE mail_campaign_recipients SET outbox_id = $1 WHERE campaign_id = $2 AND user_id = $3",
                 {oid, cid, uid});
      });
    }
  }

  std::string massSend(const std::vector<std::string>& a) {
    if (a.size() < 2 || a.size() > 3)
      throw Error(CS_E_INVALID, "usage: mail.mass-send SUBJECT_FILE TEXT_FILE [HTML_FILE]");
    std::string subject = readTextFile(a[0], "subject file");
    while (!subject.empty() && (subject.back() == '\n' || subject.back() == '\r')) subject.pop_back();
    std::string text = readTextFile(a[1], "text body file");
    std::optional<std::string> html;
    if (a.size() == 3) html = readTextFile(a[2], "HTML body file");
    try {
      mail::Outgoing probe;
      probe.to = {"probe@example.org"};
      probe.subject = subject;
      mail::checkTemplate(a[1], text);
      probe.text = text;
      if (html) {
        mail::checkTemplate(a[2], *html);
        probe.html = html;
      }
      mail::validate(probe);
    } catch (const std::invalid_argument& e) {
      throw Error(CS_E_INVALID, std::string("mail.mass-send: ") + e.what());
    }
    int64_t recipients = 0;
    try {
      codestats::Rows r = host().query("SELECT COUNT(*) FROM users WHERE email IS NOT NULL AND email <> ''");
      recipients = r[0].i64(0);
    } catch (const Error& e) {
      throw Error(CS_E_UNAVAILABLE,
                  std::string("mail.mass-send: cannot read the users table (is the web module's schema installed?): ") +
                      e.what());
    }
    codestats::Rows ins = host().query(
        "INSERT INTO mail_campaigns (subject, text_body, html_body, status, created_at) VALUES ($1, $2, $3, 'running', $4) "
        "RETURNING id",
        {subject, text, html, nowMs()});
    int64_t id = ins[0].i64(0);
    return "{\"campaign\":" + std::to_string(id) + ",\"recipients\":" + std::to_string(recipients) +
           ",\"rate_per_s\":" + std::to_string(massRate_) + "}";
  }

  // ---- admin commands ----
  void registerCommands() {
    command("status", "mail.status: queued/sent/failed counts of the outbox, as JSON", [this](const auto&) {
      int64_t queued = 0, sent = 0, failed = 0;
      codestats::Rows r = host().query("SELECT status, COUNT(*) FROM mail_outbox GROUP BY status");
      for (size_t i = 0; i < r.size(); ++i) {
        std::string_view s = r[i].text(0);
        (s == "queued" ? queued : s == "sent" ? sent : failed) += r[i].i64(1);
      }
      return "{\"transport\":\"" + transport_->name() + "\",\"queued\":" + std::to_string(queued) +
             ",\"sent\":" + std::to_string(sent) + ",\"failed\":" + std::to_string(failed) + "}";
    });
    command("retry-failed", "mail.retry-failed [ID]: requeue failed mail (all, or one id)",
            [this](const std::vector<std::string>& a) {
              int64_t now = nowMs();
              codestats::Rows r =
                  a.empty() ? host().query("UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = $1, "
                                           "claimed_until = 0 WHERE status = 'failed'",
                                           {now})
                            : host().query("UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = $1, "
                                           "claimed_until = 0 WHERE status = 'failed' AND id = $2",
                                           {now, parseId(a[0])});
              return "{\"requeued\":" + std::to_string(r.affected()) + "}";
            });
    command("send-test", "mail.send-test TO: queues a test message to TO", [this](const std::vector<std::string>& a) {
      if (a.size() != 1) throw Error(CS_E_INVALID, "usage: mail.send-test TO");
      mail::Outgoing m;
      m.to = {a[0]};
      m.subject = "Code::Stats test mail";
      m.text = "This is a test message from the Code::Stats mail module (transport: " + transport_->name() + ").\n";
      m.tag = "test";
      try {
        mail::validate(m);
      } catch (const mail::InvalidMail& e) {
        throw Error(CS_E_INVALID, std::string("invalid mail: ") + e.what());
      }
      return idJson(enqueue(m));
    });
    command("send", "mail.send JSON: queues {to, subject, text, html?, tag?} through the mail.v1 service",
            [this](const std::vector<std::string>& a) { return callSelf("send", a); });
    command("send-template", "mail.send-template JSON: queues {template, to, vars} through the mail.v1 service",
            [this](const std::vector<std::string>& a) { return callSelf("send_template", a); });
    command("show", "mail.show ID: one outbox row as JSON", [this](const std::vector<std::string>& a) {
      if (a.size() != 1) throw Error(CS_E_INVALID, "usage: mail.show ID");
      codestats::Rows r = host().query(
          "SELECT id, to_addr, subject, status, attempts, next_attempt_at, last_error, provider_id, created_at, sent_at, tag "
          "FROM mail_outbox WHERE id = $1",
          {parseId(a[0])});
      if (r.empty()) throw Error(CS_E_NOT_FOUND, "no mail with id " + a[0]);
      auto opt = [&](size_t c) { return r[0].isNull(c) ? std::string("null") : mail::jsonString(r[0].text(c)); };
      auto optInt = [&](size_t c) { return r[0].isNull(c) ? std::string("null") : std::to_string(r[0].i64(c)); };
      return "{\"id\":" + std::to_string(r[0].i64(0)) + ",\"to\":" + mail::jsonString(r[0].text(1)) +
             ",\"subject\":" + mail::jsonString(r[0].text(2)) + ",\"status\":" + mail::jsonString(r[0].text(3)) +
             ",\"attempts\":" + std::to_string(r[0].i64(4)) + ",\"next_attempt_at\":" + optInt(5) +
             ",\"last_error\":" + opt(6) + ",\"provider_id\":" + opt(7) + ",\"created_at\":" + optInt(8) +
             ",\"sent_at\":" + optInt(9) + ",\"tag\":" + opt(10) + "}";
    });
    command("mass-send",
            "mail.mass-send SUBJECT_FILE TEXT_FILE [HTML_FILE]: one message to every user with an email "
            "(bodies are mustache templates with {{username}}), throttled to mass_rate_per_s, resumable",
            [this](const std::vector<std::string>& a) { return massSend(a); });
    command("campaigns", "mail.campaigns: mass-mail campaigns and their progress, as JSON", [this](const auto&) {
      codestats::Rows r = host().query(
          "SELECT c.id, c.status, c.subject, (SELECT COUNT(*) FROM mail_campaign_recipients r WHERE r.campaign_id = c.id AND "
          "r.outbox_id IS NOT NULL), (SELECT COUNT(*) FROM mail_campaign_recipients r WHERE r.campaign_id = c.id AND "
          "r.skipped IS NOT NULL) FROM mail_campaigns c ORDER BY c.id");
      std::string out = "[";
      for (size_t i = 0; i < r.size(); ++i)
        out += std::string(i ? "," : "") + "{\"id\":" + std::to_string(r[i].i64(0)) +
               ",\"status\":" + mail::jsonString(r[i].text(1)) + ",\"subject\":" + mail::jsonString(r[i].text(2)) +
               ",\"queued\":" + std::to_string(r[i].i64(3)) + ",\"skipped\":" + std::to_string(r[i].i64(4)) + "}";
      return out + "]";
    });
  }

  std::string callSelf(const std::string& method, const std::vector<std::string>& a) {
    if (a.size() != 1) throw Error(CS_E_INVALID, "usage: mail." + method + " JSON");
    auto out = host().call("mail", 1, method, a[0]);
    if (!out) throw Error(CS_E_UNAVAILABLE, "mail.v1 is not available");
    return *out;
  }

  static int64_t parseId(const std::string& s) {
    try {
      size_t used = 0;
      int64_t v = std::stoll(s, &used);
      if (used == s.size() && v > 0) return v;
    } catch (const std::exception&) {
    }
    throw Error(CS_E_INVALID, "expected a positive integer id, got '" + s + "'");
  }

  int64_t pollMs_ = 200, batchSize_ = 20, maxAttempts_ = 8, backoffMs_ = 30000, maxBackoffMs_ = 3600000;
  int64_t timeoutMs_ = 15000, claimMs_ = 120000, massRate_ = 10;
  std::string siteUrl_;
  SslRef ssl_;  // before transport_: destroyed after it
  std::unique_ptr<mail::Transport> transport_;
  mail::TemplatePair resetTemplates_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace

CODESTATS_MODULE(MailModule, "mail", MAIL_MODULE_VERSION, 1)
