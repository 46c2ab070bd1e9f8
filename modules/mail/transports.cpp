#include "transports.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>

namespace codestats::mail {

namespace {

namespace fs = std::filesystem;

std::string required(const ConfigMap& cfg, const std::string& key, const std::string& transport) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->second.empty())
    throw std::invalid_argument("mail: transport '" + transport + "' needs config key modules.mail." + key);
  return it->second;
}

std::string optional(const ConfigMap& cfg, const std::string& key, const std::string& fallback) {
  auto it = cfg.find(key);
  return it == cfg.end() || it->second.empty() ? fallback : it->second;
}

std::string randomToken(size_t n) {
  static constexpr char kChars[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < n; ++i) out += kChars[rd() % 36];
  return out;
}

std::string domainOf(const std::string& addr) { return addr.substr(addr.rfind('@') + 1); }

Poco::Net::Context::Ptr clientContext(const std::string& caFile) {
  // One explicit context per session: nothing is installed into Poco's SSLManager. The
  // server is always verified: its chain against tls_ca_file when set, else against the
  // system store, and its name against the configured host. VERIFY_STRICT, not RELAXED:
  // for a client both are SSL_VERIFY_PEER, but with RELAXED Poco skips the host-name check
  // for loopback addresses.
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, caFile, Poco::Net::Context::VERIFY_STRICT, 9,
                                caFile.empty());
}

// modules.mail.tls_ca_file: empty (the system CA store) or a readable PEM file that OpenSSL
// loads at least one certificate from; checked when the transport is created, so a typo
// stops the start instead of failing every delivery.
std::string caFileKey(const ConfigMap& cfg) {
  std::string caFile = optional(cfg, "tls_ca_file", "");
  if (caFile.empty()) return caFile;
  const std::string key = "mail: config key modules.mail.tls_ca_file: ";
  std::error_code ec;
  if (!fs::is_regular_file(caFile, ec)) throw std::invalid_argument(key + "'" + caFile + "' is not a file");
  if (::access(caFile.c_str(), R_OK) != 0)
    throw std::invalid_argument(key + "cannot read '" + caFile + "': " + std::strerror(errno));
  try {
    clientContext(caFile);
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument(key + "no CA certificate could be loaded from '" + caFile + "': " + e.displayText());
  }
  return caFile;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// ---- file ----
class FileTransport : public Transport {
 public:
  FileTransport(std::string dir, CommonSettings common) : dir_(std::move(dir)), common_(std::move(common)) {}
  std::string name() const override { return "file"; }

  Delivery deliver(const StoredMessage& m) override {
    Delivery d;
    try {
      fs::create_directories(dir_);
      std::string eml = composeStored(m, common_);
      std::string base = std::to_string(m.id) + "-" + std::to_string(m.createdAtMs) + ".eml";
      fs::path final = fs::path(dir_) / base;
      fs::path tmp = fs::path(dir_) / ("." + base + ".tmp-" + randomToken(8));
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
      if (fd < 0) throw std::runtime_error("open " + tmp.string() + ": " + std::strerror(errno));
      size_t off = 0;
      while (off < eml.size()) {
        ssize_t w = ::write(fd, eml.data() + off, eml.size() - off);
        if (w < 0) {
          if (errno == EINTR) continue;
          int e = errno;
          ::close(fd);
          ::unlink(tmp.c_str());
          throw std::runtime_error("write " + tmp.string() + ": " + std::strerror(e));
        }
        off += static_cast<size_t>(w);
      }
      if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        throw std::runtime_error("fsync " + tmp.string() + ": " + std::strerror(errno));
      }
      fs::rename(tmp, final);
      d.outcome = Outcome::Sent;
      d.providerId = final.string();
    } catch (const std::exception& e) {
      d.outcome = Outcome::Retry;
      d.error = std::string("file transport: ") + e.what();
    }
    return d;
  }

 private:
  std::string dir_;
  CommonSettings common_;
};

// ---- Mailgun ----
class MailgunTransport : public Transport {
 public:
  MailgunTransport(const ConfigMap& cfg, CommonSettings common) : common_(std::move(common)) {
    domain_ = required(cfg, "domain", "mailgun");
    apiKey_ = required(cfg, "api_key", "mailgun");
    for (char c : domain_)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'))
        throw std::invalid_argument("mail: config key modules.mail.domain: invalid domain '" + domain_ + "'");
    std::string base = optional(cfg, "base_url", "https://api.mailgun.net");
    try {
      base_ = Poco::URI(base);
    } catch (const Poco::Exception& e) {
      throw std::invalid_argument("mail: config key modules.mail.base_url: " + e.displayText());
    }
    if ((base_.getScheme() != "https" && base_.getScheme() != "http") || base_.getHost().empty())
      throw std::invalid_argument(
          "mail: config key modules.mail.base_url: expected http(s)://host[:port][/path], got '" + base + "'");
    caFile_ = caFileKey(cfg);
    std::string path = base_.getPath();
    while (!path.empty() && path.back() == '/') path.pop_back();
    path_ = path + "/v3/" + domain_ + "/messages";
  }
  std::string name() const override { return "mailgun"; }

  Delivery deliver(const StoredMessage& m) override {
    Delivery d;
    try {
      std::unique_ptr<Poco::Net::HTTPClientSession> session;
      if (base_.getScheme() == "https")
        session =
            std::make_unique<Poco::Net::HTTPSClientSession>(base_.getHost(), base_.getPort(), clientContext(caFile_));
      else session = std::make_unique<Poco::Net::HTTPClientSession>(base_.getHost(), base_.getPort());
      session->setTimeout(Poco::Timespan(common_.timeoutMs * 1000));
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path_, Poco::Net::HTTPMessage::HTTP_1_1);
      Poco::Net::HTTPBasicCredentials("api", apiKey_).authenticate(req);
      Poco::Net::HTMLForm form;
      form.setEncoding(Poco::Net::HTMLForm::ENCODING_URL);
      form.add("from", formatMailbox(common_.from));
      for (const auto& to : m.to) form.add("to", to);
      form.add("subject", m.subject);
      form.add("text", m.text);
      if (m.html) form.add("html", *m.html);
      if (m.tag) form.add("o:tag", *m.tag);
      if (common_.replyTo) form.add("h:Reply-To", formatMailbox(*common_.replyTo));
      form.add("v:outbox-id", std::to_string(m.id));
      form.prepareSubmit(req);
      std::ostream& out = session->sendRequest(req);
      form.write(out);
      Poco::Net::HTTPResponse resp;
      std::istream& in = session->receiveResponse(resp);
      std::string body;
      Poco::StreamCopier::copyToString(in, body);
      int status = static_cast<int>(resp.getStatus());
      d.outcome = classifyHttpStatus(status);
      std::string id, message;
      try {
        auto o = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        if (o) {
          id = o->optValue<std::string>("id", "");
          message = o->optValue<std::string>("message", "");
        }
      } catch (...) {
        message = body.substr(0, 500);
      }
      if (d.outcome == Outcome::Sent) {
        d.providerId = id;
      } else {
        d.error =
            "mailgun HTTP " + std::to_string(status) + ": " + trimmed(message.empty() ? resp.getReason() : message);
        if (resp.has("Retry-After")) {
          try {
            d.retryAfterMs = std::min<int64_t>(std::stoll(resp.get("Retry-After")), 86400) * 1000;
          } catch (...) {
          }
        }
      }
    } catch (const Poco::Net::SSLException& e) {  // handshake, certificate or host name: retried
      d.outcome = Outcome::Retry;
      d.error = "mailgun: TLS: " + e.displayText();
    } catch (const Poco::Exception& e) {
      d.outcome = Outcome::Retry;
      d.error = "mailgun: " + e.displayText();
    } catch (const std::exception& e) {
      d.outcome = Outcome::Retry;
      d.error = std::string("mailgun: ") + e.what();
    }
    return d;
  }

 private:
  CommonSettings common_;
  std::string domain_, apiKey_, caFile_, path_;
  Poco::URI base_;
};

// ---- SMTP ----
class SmtpTransport : public Transport {
 public:
  SmtpTransport(const ConfigMap& cfg, CommonSettings common) : common_(std::move(common)) {
    host_ = required(cfg, "smtp_host", "smtp");
    std::string tls = optional(cfg, "smtp_starttls", "true");
    if (tls == "true" || tls == "1" || tls == "yes" || tls == "on") starttls_ = true;
    else if (tls == "false" || tls == "0" || tls == "no" || tls == "off") starttls_ = false;
    else throw std::invalid_argument("mail: config key modules.mail.smtp_starttls: expected true or false");
    std::string port = optional(cfg, "smtp_port", starttls_ ? "587" : "25");
    try {
      size_t used = 0;
      int p = std::stoi(port, &used);
      if (used != port.size() || p < 1 || p > 65535) throw std::out_of_range("port");
      port_ = static_cast<uint16_t>(p);
    } catch (const std::exception&) {
      throw std::invalid_argument("mail: config key modules.mail.smtp_port: expected a port number, got '" + port +
                                  "'");
    }
    user_ = optional(cfg, "smtp_user", "");
    password_ = optional(cfg, "smtp_password", "");
    if (!user_.empty() && password_.empty())
      throw std::invalid_argument(
          "mail: smtp_user is set: transport 'smtp' needs config key modules.mail.smtp_password");
    std::string auth = optional(cfg, "smtp_auth", "login");
    if (auth == "login") method_ = Poco::Net::SMTPClientSession::AUTH_LOGIN;
    else if (auth == "plain") method_ = Poco::Net::SMTPClientSession::AUTH_PLAIN;
    else throw std::invalid_argument("mail: config key modules.mail.smtp_auth: expected login or plain");
    caFile_ = caFileKey(cfg);
    helo_ = optional(cfg, "smtp_helo", domainOf(common_.from.addr));
  }
  std::string name() const override { return "smtp"; }

  Delivery deliver(const StoredMessage& m) override {
    Delivery d;
    try {
      Poco::Net::SecureSMTPClientSession session(host_, port_);
      session.setTimeout(Poco::Timespan(common_.timeoutMs * 1000));
      session.login(helo_);
      if (starttls_ && !session.startTLS(clientContext(caFile_)))
        throw Poco::Net::SMTPException(
            "the server does not offer STARTTLS (set smtp_starttls = false to send in clear)");
      if (!user_.empty()) session.login(helo_, method_, user_, password_);
      Poco::Net::SMTPClientSession::Recipients rcpts(m.to.begin(), m.to.end());
      session.sendAddresses(common_.from.addr, rcpts);
      session.sendData();
      std::istringstream eml(composeStored(m, common_));
      session.sendMessage(eml);
      session.close();
      d.outcome = Outcome::Sent;
      d.providerId = "smtp:" + host_;
    } catch (const Poco::Net::SMTPException& e) {
      d.outcome = classifySmtpError(e.displayText());
      d.error = "smtp: " + e.displayText();
    } catch (const Poco::Net::SSLException& e) {  // STARTTLS handshake, certificate or host name: retried
      d.outcome = Outcome::Retry;
      d.error = "smtp: TLS: " + e.displayText();
    } catch (const Poco::Exception& e) {
      d.outcome = Outcome::Retry;
      d.error = "smtp: " + e.displayText();
    } catch (const std::exception& e) {
      d.outcome = Outcome::Retry;
      d.error = std::string("smtp: ") + e.what();
    }
    return d;
  }

 private:
  CommonSettings common_;
  std::string host_, user_, password_, caFile_, helo_;
  uint16_t port_ = 25;
  bool starttls_ = true;
  Poco::Net::SMTPClientSession::LoginMethod method_ = Poco::Net::SMTPClientSession::AUTH_LOGIN;
};

}  // namespace

std::string composeStored(const StoredMessage& m, const CommonSettings& common) {
  EmlInput in;
  in.from = common.from;
  in.replyTo = common.replyTo;
  in.to = m.to;
  in.subject = m.subject;
  in.text = m.text;
  in.html = m.html;
  in.tag = m.tag;
  in.messageId =
      "mail-" + std::to_string(m.id) + "-" + std::to_string(m.createdAtMs) + "@" + domainOf(common.from.addr);
  in.dateMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
  // '=' cannot start a quoted-printable line and "_=" never appears in an encoded part.
  in.boundary = "=_codestats_" + randomToken(24);
  return composeEml(in);
}

std::unique_ptr<Transport> makeFileTransport(const std::string& dir, const CommonSettings& common) {
  return std::make_unique<FileTransport>(dir, common);
}
std::unique_ptr<Transport> makeMailgunTransport(const ConfigMap& cfg, const CommonSettings& common) {
  return std::make_unique<MailgunTransport>(cfg, common);
}
std::unique_ptr<Transport> makeSmtpTransport(const ConfigMap& cfg, const CommonSettings& common) {
  return std::make_unique<SmtpTransport>(cfg, common);
}

}  // namespace codestats::mail
