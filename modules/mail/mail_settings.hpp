// The mail module's settings (modules.mail.*), its transport and its password-reset
// templates, read once per module load; bad values stop the load with the key named.
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "mail_templates.hpp"
#include "transports.hpp"

namespace codestats::mail {

struct MailSettings {
  int64_t pollMs = 200, batchSize = 20, maxAttempts = 8, backoffMs = 30000, maxBackoffMs = 3600000;
  int64_t timeoutMs = 15000, claimMs = 120000, massRate = 10;
  std::string siteUrl;
};

// NetSSL's reference-counted OpenSSL setup, released with its owner (also when a later
// step of the load throws).
struct SslRef {
  SslRef() = default;
  SslRef(const SslRef&) = delete;
  SslRef& operator=(const SslRef&) = delete;
  void init();
  ~SslRef();
  bool on = false;
};

MailSettings readSettings(Host& host);
// The configured transport (file | mailgun | smtp); `ssl` is initialised for the network ones.
std::unique_ptr<Transport> makeTransport(Host& host, const MailSettings& settings, SslRef& ssl);
// The embedded templates, or modules.mail.templates_dir's files; both checked.
TemplatePair loadResetTemplates(Host& host);

}  // namespace codestats::mail
