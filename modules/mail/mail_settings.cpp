#include "mail_settings.hpp"

#include <Poco/Net/NetSSL.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "mail_core.hpp"
#include "mail_templates_embedded.hpp"

namespace codestats::mail {
namespace {

namespace fs = std::filesystem;

int64_t intKey(Host& host, const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  int64_t v = host.configInt(key, fallback);
  if (v < lo || v > hi)
    throw Error(CS_E_INVALID, "mail: config key modules.mail." + key + " must be between " + std::to_string(lo) +
                                  " and " + std::to_string(hi) + ", got " + std::to_string(v));
  return v;
}

std::string readTextFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in || fs::is_directory(path)) throw Error(CS_E_INVALID, "cannot read " + what + " '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void SslRef::init() {
  Poco::Net::initializeSSL();
  on = true;
}

SslRef::~SslRef() {
  if (on) Poco::Net::uninitializeSSL();
}

MailSettings readSettings(Host& host) {
  MailSettings s;
  s.pollMs = intKey(host, "poll_ms", 200, 10, 60000);
  s.batchSize = intKey(host, "batch_size", 20, 1, 1000);
  s.maxAttempts = intKey(host, "max_attempts", 8, 1, 100);
  s.backoffMs = intKey(host, "backoff_ms", 30000, 1, 86400000);
  s.maxBackoffMs = intKey(host, "max_backoff_ms", 3600000, 1, 7 * 86400000LL);
  s.timeoutMs = intKey(host, "timeout_ms", 15000, 100, 600000);
  s.claimMs = intKey(host, "claim_ms", 120000, 100, 86400000);
  if (s.claimMs < 3 * s.timeoutMs)
    throw Error(CS_E_INVALID, "mail: config key modules.mail.claim_ms (" + std::to_string(s.claimMs) +
                                  ") must be at least 3 x timeout_ms (" + std::to_string(s.timeoutMs) + ")");
  s.massRate = intKey(host, "mass_rate_per_s", 10, 1, 10000);
  s.siteUrl = host.config("site_url", "");
  return s;
}

std::unique_ptr<Transport> makeTransport(Host& host, const MailSettings& settings, SslRef& ssl) {
  ConfigMap cfg;
  for (auto key : host.configKeys()) {
    auto v = host.config(key);
    cfg[std::string(key)] = v ? std::string(*v) : std::string();
  }
  std::string transport = host.config("transport", "file");
  CommonSettings common;
  common.timeoutMs = settings.timeoutMs;
  try {
    if (transport != "file" && transport != "mailgun" && transport != "smtp")
      throw std::invalid_argument("mail: config key modules.mail.transport: expected file, mailgun or smtp, got '" +
                                  transport + "'");
    if (transport == "mailgun") {  // the required keys, in the documented order
      if (cfg["domain"].empty())
        throw std::invalid_argument("mail: transport 'mailgun' needs config key modules.mail.domain");
      if (cfg["api_key"].empty())
        throw std::invalid_argument("mail: transport 'mailgun' needs config key modules.mail.api_key");
    }
    if (transport == "smtp" && cfg["smtp_host"].empty())
      throw std::invalid_argument("mail: transport 'smtp' needs config key modules.mail.smtp_host");
    std::string from = host.config("from", "");
    if (from.empty()) {
      if (transport != "file")
        throw std::invalid_argument("mail: transport '" + transport + "' needs config key modules.mail.from");
      from = "Code::Stats <noreply@codestats.localhost>";
    }
    common.from = parseMailbox(from, "modules.mail.from");
    std::string replyTo = host.config("reply_to", "");
    if (!replyTo.empty()) common.replyTo = parseMailbox(replyTo, "modules.mail.reply_to");
    if (transport == "file") {
      std::string dir = host.config("file_dir", "");
      if (dir.empty()) dir = (fs::path(host.config("host.var_dir", "var")) / "mail").string();
      return makeFileTransport(dir, common);
    }
    // NetSSL's reference-counted OpenSSL setup; balanced by SslRef. The module installs
    // nothing into SSLManager: every session gets its own explicit Context.
    ssl.init();
    return transport == "mailgun" ? makeMailgunTransport(cfg, common) : makeSmtpTransport(cfg, common);
  } catch (const std::invalid_argument& e) {
    throw Error(CS_E_INVALID, e.what());
  }
}

TemplatePair loadResetTemplates(Host& host) {
  TemplatePair t;
  std::string dir = host.config("templates_dir", "");
  if (dir.empty()) {
    t.text = embedded::password_reset_txt_mustache;
    t.html = embedded::password_reset_html_mustache;
  } else {
    t.text = readTextFile((fs::path(dir) / "password_reset.txt.mustache").string(), "mail template");
    t.html = readTextFile((fs::path(dir) / "password_reset.html.mustache").string(), "mail template");
  }
  try {
    checkTemplate("password_reset.txt.mustache", t.text);
    checkTemplate("password_reset.html.mustache", t.html);
  } catch (const std::invalid_argument& e) {
    throw Error(CS_E_INVALID, e.what());
  }
  return t;
}

}  // namespace codestats::mail
