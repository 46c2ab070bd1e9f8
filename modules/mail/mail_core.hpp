// Pure logic of the mail module: request validation, addresses, header-injection checks,
// RFC 5322 / MIME composition and the retry policy. No SDK, no host: unit-tested directly
// (modules/mail/tests/mail_core_test.cpp).
#pragma once

#include <codestats/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::mail {

// Limits enforced by send() (documented in docs/mail.md).
struct Limits {
  size_t maxRecipients = 50;    // "to" may be one address or a list of up to this many
  size_t maxAddress = 254;      // RFC 5321 path limit
  size_t maxSubject = 255;      // bytes (UTF-8)
  size_t maxText = 256 * 1024;  // bytes
  size_t maxHtml = 512 * 1024;  // bytes
  size_t maxTag = 128;          // Mailgun's tag limit
};

// A rejected message; the text is the caller-facing reason.
class InvalidMail : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A message as accepted by send() and stored in the outbox.
struct Outgoing {
  std::vector<std::string> to;  // addr-specs, at least one
  std::string subject;
  std::string text;
  std::optional<std::string> html;
  std::optional<std::string> tag;
};

// addr-spec subset of RFC 5322: dot-atom local part (ASCII atext, <= 64 bytes) "@" a DNS
// name of at least two labels (letters, digits, hyphens; no leading/trailing hyphen;
// labels <= 63 bytes), whole address <= 254 bytes. No quoted local parts, comments, domain
// literals or non-ASCII (no SMTPUTF8).
bool validAddress(std::string_view addr);

// Throws InvalidMail when value contains CR, LF or NUL (header injection).
void checkHeaderValue(std::string_view field, std::string_view value);

bool validUtf8(std::string_view s);

// Validates a message; throws InvalidMail with a clear reason.
void validate(const Outgoing& m, const Limits& limits = {});

// Parses and validates the JSON request of mail.v1 send: {to, subject, text, html?, tag?};
// "to" is a string or an array of strings.
Outgoing parseSendRequest(std::string_view json, const Limits& limits = {});

// "a@x.org, b@y.org" <-> list (the outbox's to_addr column).
std::string joinRecipients(const std::vector<std::string>& to);
std::vector<std::string> splitRecipients(std::string_view stored);

// A mailbox from configuration: "addr@x.org" or "Display Name <addr@x.org>".
struct Mailbox {
  std::string name;  // may be empty
  std::string addr;
};
Mailbox parseMailbox(std::string_view s, std::string_view key);  // throws std::invalid_argument naming key
std::string formatMailbox(const Mailbox& m);                     // header form, encoded as needed

// RFC 2047 encoded-word (UTF-8, base64) when s is not plain printable ASCII.
std::string encodeHeaderText(std::string_view s);
// Quoted-printable body encoding (RFC 2045), CRLF line ends, lines <= 76 characters.
std::string quotedPrintable(std::string_view s);
// "Tue, 07 May 2024 10:11:12 +0000"
std::string rfc5322Date(int64_t unixMs);

struct EmlInput {
  Mailbox from;
  std::optional<Mailbox> replyTo;
  std::vector<std::string> to;
  std::string subject;
  std::string text;
  std::optional<std::string> html;
  std::optional<std::string> tag;
  std::string messageId;  // without angle brackets
  int64_t dateMs = 0;
  std::string boundary;  // for multipart/alternative; must not occur in the encoded parts
};
// A complete RFC 5322 message with CRLF line ends: text/plain, or multipart/alternative
// (text + html), both parts quoted-printable UTF-8.
std::string composeEml(const EmlInput& in);

// Retry policy: exponential backoff with "equal jitter". attempts >= 1 is the number of
// failed attempts so far; unitRandom in [0, 1). Returns a delay in
// [d/2, d) with d = min(baseMs * 2^(attempts-1), maxMs).
int64_t backoffDelayMs(int64_t attempts, int64_t baseMs, int64_t maxMs, double unitRandom);

enum class Outcome { Sent, Retry, Permanent };
// 2xx sent; 429, 5xx (and 408) retried; any other status permanent.
Outcome classifyHttpStatus(int status);
// An SMTP exception text: the first reply code in it decides (5xx permanent, else retry).
Outcome classifySmtpError(std::string_view message);

// JSON string literal with escapes.
using codestats::jsonString;  // <codestats/json.hpp>

}  // namespace codestats::mail
