// Delivery transports of the mail module: file (.eml under var/mail), Mailgun HTTP API and
// SMTP. A transport object lives inside one module instance and is only used from the
// delivery timer (one run at a time); every network object it creates lives for one
// deliver() call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mail_core.hpp"

namespace codestats::mail {

// One outbox row, as handed to a transport.
struct StoredMessage {
  int64_t id = 0;
  std::vector<std::string> to;
  std::string subject;
  std::string text;
  std::optional<std::string> html;
  std::optional<std::string> tag;
  int64_t createdAtMs = 0;
};

struct Delivery {
  Outcome outcome = Outcome::Retry;
  std::string providerId;    // Mailgun message id, file name, SMTP reply
  std::string error;         // on Retry/Permanent: what happened (provider's message included)
  int64_t retryAfterMs = 0;  // a provider's Retry-After, 0 when absent
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::string name() const = 0;
  virtual Delivery deliver(const StoredMessage& m) = 0;
};

// The module's configuration keys (modules.mail.<key>) that the transports read.
using ConfigMap = std::map<std::string, std::string>;

struct CommonSettings {
  Mailbox from;
  std::optional<Mailbox> replyTo;
  int64_t timeoutMs = 15000;
};

std::unique_ptr<Transport> makeFileTransport(const std::string& dir, const CommonSettings& common);
// tls_ca_file (both network transports): a PEM CA bundle trusted instead of the system
// store; validated here (std::invalid_argument naming the key). TLS peers are always verified.
// Keys: domain, api_key (required), base_url (default https://api.mailgun.net), tls_ca_file.
std::unique_ptr<Transport> makeMailgunTransport(const ConfigMap& cfg, const CommonSettings& common);
// Keys: smtp_host (required), smtp_port (587 with STARTTLS, else 25), smtp_user,
// smtp_password, smtp_starttls (default true), smtp_auth (login | plain, default login),
// smtp_helo, tls_ca_file.
std::unique_ptr<Transport> makeSmtpTransport(const ConfigMap& cfg, const CommonSettings& common);

// The RFC 5322 text of a stored message (file and SMTP transports).
std::string composeStored(const StoredMessage& m, const CommonSettings& common);

}  // namespace codestats::mail
