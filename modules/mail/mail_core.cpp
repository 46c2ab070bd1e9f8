#include "mail_core.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <ctime>
#include <sstream>

namespace codestats::mail {

namespace {

bool isAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

bool validLabel(std::string_view l) {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  for (char c : l)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

std::string describe(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\0') out += "\\0";
    else out += c;
  }
  return "'" + out + (s.size() > 80 ? "...'" : "'");
}

bool plainPrintable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string base64(std::string_view s) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(s.data(), static_cast<std::streamsize>(s.size()));
  enc.close();
  return out.str();
}

}  // namespace

bool validAddress(std::string_view addr) {
  if (addr.empty() || addr.size() > 254) return false;
  size_t at = addr.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= addr.size()) return false;
  std::string_view local = addr.substr(0, at), domain = addr.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.') return false;
  for (size_t i = 0; i < local.size(); ++i) {
    char c = local[i];
    if (c == '.') {
      if (local[i + 1] == '.') return false;
    } else if (!isAtext(c)) {
      return false;
    }
  }
  if (domain.size() > 253) return false;
  size_t labels = 0;
  while (true) {
    size_t dot = domain.find('.');
    if (!validLabel(domain.substr(0, dot))) return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    domain = domain.substr(dot + 1);
  }
  return labels >= 2;
}

void checkHeaderValue(std::string_view field, std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0')
      throw InvalidMail("'" + std::string(field) + "' must not contain CR, LF or NUL characters (header injection)");
  }
}

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    if (c < 0x80) n = 0;
    else if ((c >> 5) == 0x6 && c >= 0xc2) n = 1;
    else if ((c >> 4) == 0xe) n = 2;
    else if ((c >> 3) == 0x1e && c <= 0xf4) n = 3;
    else return false;
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n + 1;
  }
  return true;
}

void validate(const Outgoing& m, const Limits& limits) {
  if (m.to.empty()) throw InvalidMail("'to' is required: one address or a list of addresses");
  if (m.to.size() > limits.maxRecipients)
    throw InvalidMail("'to' has " + std::to_string(m.to.size()) + " recipients; at most " +
                      std::to_string(limits.maxRecipients) + " are allowed");
  for (const auto& a : m.to) {
    checkHeaderValue("to", a);
    if (!validAddress(a)) throw InvalidMail("invalid recipient address " + describe(a));
  }
  checkHeaderValue("subject", m.subject);
  if (m.subject.empty()) throw InvalidMail("'subject' is required");
  if (m.subject.size() > limits.maxSubject)
    throw InvalidMail("'subject' is " + std::to_string(m.subject.size()) + " bytes; the limit is " +
                      std::to_string(limits.maxSubject));
  if (!validUtf8(m.subject)) throw InvalidMail("'subject' is not valid UTF-8");
  if (m.text.empty()) throw InvalidMail("'text' (the plain-text body) is required");
  if (m.text.size() > limits.maxText)
    throw InvalidMail("'text' is " + std::to_string(m.text.size()) + " bytes; the limit is " +
                      std::to_string(limits.maxText));
  if (m.text.find('\0') != std::string::npos) throw InvalidMail("'text' must not contain NUL characters");
  if (!validUtf8(m.text)) throw InvalidMail("'text' is not valid UTF-8");
  if (m.html) {
    if (m.html->size() > limits.maxHtml)
      throw InvalidMail("'html' is " + std::to_string(m.html->size()) + " bytes; the limit is " +
                        std::to_string(limits.maxHtml));
    if (m.html->find('\0') != std::string::npos) throw InvalidMail("'html' must not contain NUL characters");
    if (!validUtf8(*m.html)) throw InvalidMail("'html' is not valid UTF-8");
  }
  if (m.tag) {
    checkHeaderValue("tag", *m.tag);
    if (m.tag->empty() || m.tag->size() > limits.maxTag)
      throw InvalidMail("'tag' must be 1 to " + std::to_string(limits.maxTag) + " characters");
    for (char c : *m.tag)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == ':'))
        throw InvalidMail("'tag' may only contain letters, digits and - _ . :");
  }
}

Outgoing parseSendRequest(std::string_view json, const Limits& limits) {
  Poco::JSON::Object::Ptr o;
  try {
    auto v = Poco::JSON::Parser().parse(std::string(json));
    o = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    throw InvalidMail("the request must be a JSON object {to, subject, text, html?, tag?}");
  }
  if (!o) throw InvalidMail("the request must be a JSON object {to, subject, text, html?, tag?}");
  auto str = [&](const std::string& key, bool required) -> std::optional<std::string> {
    if (!o->has(key) || o->isNull(key)) {
      if (required) throw InvalidMail("'" + key + "' is required");
      return std::nullopt;
    }
    auto v = o->get(key);
    if (!v.isString()) throw InvalidMail("'" + key + "' must be a string");
    return v.extract<std::string>();
  };
  for (const auto& [k, v] : *o) {
    (void)v;
    if (k != "to" && k != "subject" && k != "text" && k != "html" && k != "tag")
      throw InvalidMail("unknown field '" + k + "' (expected to, subject, text, html, tag)");
  }
  Outgoing m;
  if (!o->has("to") || o->isNull("to")) throw InvalidMail("'to' is required: one address or a list of addresses");
  if (auto arr = o->getArray("to")) {
    for (size_t i = 0; i < arr->size(); ++i) {
      auto e = arr->get(static_cast<unsigned>(i));
      if (!e.isString()) throw InvalidMail("'to' must be a string or an array of strings");
      m.to.push_back(e.extract<std::string>());
    }
  } else {
    m.to.push_back(*str("to", true));
  }
  m.subject = *str("subject", true);
  m.text = *str("text", true);
  m.html = str("html", false);
  m.tag = str("tag", false);
  if (m.html && m.html->empty()) m.html.reset();
  validate(m, limits);
  return m;
}

std::string joinRecipients(const std::vector<std::string>& to) {
  std::string out;
  for (const auto& a : to) out += (out.empty() ? "" : ", ") + a;
  return out;
}

std::vector<std::string> splitRecipients(std::string_view stored) {
  std::vector<std::string> out;
  while (!stored.empty()) {
    size_t comma = stored.find(',');
    std::string_view part = stored.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    stored = stored.substr(comma + 1);
  }
  return out;
}

Mailbox parseMailbox(std::string_view s, std::string_view key) {
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("config key '" + std::string(key) + "': " + why);
  };
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') throw bad("must not contain CR, LF or NUL");
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  Mailbox m;
  if (!s.empty() && s.back() == '>') {
    size_t lt = s.rfind('<');
    if (lt == std::string_view::npos) throw bad("expected 'Name <address>' or 'address'");
    std::string_view name = s.substr(0, lt);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    for (char c : name)
      if (c == '"' || c == '\\' || c == '<' || c == '>') throw bad("the display name must not contain \" \\ < >");
    if (!validUtf8(name)) throw bad("the display name is not valid UTF-8");
    m.name = std::string(name);
    m.addr = std::string(s.substr(lt + 1, s.size() - lt - 2));
  } else {
    m.addr = std::string(s);
  }
  if (!validAddress(m.addr)) throw bad("invalid address '" + m.addr + "'");
  return m;
}

std::string formatMailbox(const Mailbox& m) {
  if (m.name.empty()) return m.addr;
  if (plainPrintable(m.name)) return "\"" + m.name + "\" <" + m.addr + ">";
  return encodeHeaderText(m.name) + " <" + m.addr + ">";
}

std::string encodeHeaderText(std::string_view s) {
  if (plainPrintable(s)) return std::string(s);
  // Encoded words of at most 45 input bytes each (<= 75 characters), split on UTF-8
  // character boundaries, separated by folding whitespace.
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t end = std::min(s.size(), i + 45);
    while (end < s.size() && end > i && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(s.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string quotedPrintable(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t lineLen = 0;
  auto emit = [&](const std::string& token) {
    if (lineLen + token.size() > 75) {
      out += "=\r\n";
      lineLen = 0;
    }
    out += token;
    lineLen += token.size();
  };
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;  // CRLF: handled at '\n'
    if (c == '\n') {
      out += "\r\n";
      lineLen = 0;
      continue;
    }
    bool atLineEnd =
        i + 1 == s.size() || s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < s.size() && s[i + 2] == '\n');
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !atLineEnd);
    // A line starting with "." is kept literal; SMTP dot-stuffing handles it on the wire.
    if (literal) {
      emit(std::string(1, static_cast<char>(c)));
    } else {
      emit(std::string{'=', kHex[c >> 4], kHex[c & 0xf]});
    }
  }
  return out;
}

std::string rfc5322Date(int64_t unixMs) {
  std::time_t t = static_cast<std::time_t>(unixMs / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string composeEml(const EmlInput& in) {
  std::string h;
  h += "From: " + formatMailbox(in.from) + "\r\n";
  if (in.replyTo) h += "Reply-To: " + formatMailbox(*in.replyTo) + "\r\n";
  h += "To: " + joinRecipients(in.to) + "\r\n";
  h += "Subject: " + encodeHeaderText(in.subject) + "\r\n";
  h += "Date: " + rfc5322Date(in.dateMs) + "\r\n";
  h += "Message-ID: <" + in.messageId + ">\r\n";
  if (in.tag) h += "X-Mail-Tag: " + *in.tag + "\r\n";
  h += "MIME-Version: 1.0\r\n";
  const std::string textPart =
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
      quotedPrintable(in.text) + "\r\n";
  if (!in.html) return h + textPart;
  h += "Content-Type: multipart/alternative; boundary=\"" + in.boundary + "\"\r\n\r\n";
  h += "This is a multi-part message in MIME format.\r\n";
  h += "--" + in.boundary + "\r\n" + textPart;
  h += "--" + in.boundary + "\r\n";
  h += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
       quotedPrintable(*in.html) + "\r\n";
  h += "--" + in.boundary + "--\r\n";
  return h;
}

int64_t backoffDelayMs(int64_t attempts, int64_t baseMs, int64_t maxMs, double unitRandom) {
  if (attempts < 1) attempts = 1;
  if (baseMs < 1) baseMs = 1;
  if (maxMs < baseMs) maxMs = baseMs;
  double d = static_cast<double>(baseMs) * std::pow(2.0, static_cast<double>(std::min<int64_t>(attempts - 1, 40)));
  d = std::min(d, static_cast<double>(maxMs));
  unitRandom = std::clamp(unitRandom, 0.0, 0.999999);
  return static_cast<int64_t>(d / 2 + unitRandom * d / 2);
}

Outcome classifyHttpStatus(int status) {
  if (status >= 200 && status < 300) return Outcome::Sent;
  if (status == 429 || status == 408 || status >= 500) return Outcome::Retry;
  return Outcome::Permanent;
}

Outcome classifySmtpError(std::string_view message) {
  for (size_t i = 0; i + 3 <= message.size(); ++i) {
    bool boundaryBefore = i == 0 || !std::isdigit(static_cast<unsigned char>(message[i - 1]));
    bool boundaryAfter = i + 3 == message.size() || !std::isdigit(static_cast<unsigned char>(message[i + 3]));
    if (boundaryBefore && boundaryAfter && (message[i] == '4' || message[i] == '5') &&
        std::isdigit(static_cast<unsigned char>(message[i + 1])) &&
        std::isdigit(static_cast<unsigned char>(message[i + 2])))
      return message[i] == '5' ? Outcome::Permanent : Outcome::Retry;
  }
  return Outcome::Retry;
}

}  // namespace codestats::mail
