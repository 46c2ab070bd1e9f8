// Unit tests of the mail module's pure logic: addresses, header injection, limits, request
// parsing, MIME/eml composition, templates and the retry policy.
#include <Poco/Net/QuotedPrintableDecoder.h>
#include <Poco/StreamCopier.h>
#include <catch2/catch.hpp>

#include <sstream>

#include "mail_core.hpp"
#include "mail_templates.hpp"
#include "transports.hpp"

using namespace codestats::mail;

namespace {
std::string qpDecode(const std::string& s) {
  std::istringstream in(s);
  Poco::Net::QuotedPrintableDecoder dec(in);
  std::string out;
  Poco::StreamCopier::copyToString(dec, out);
  return out;
}
std::string normalizeCrlf(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) out += s[i];
  return out;
}
}  // namespace

TEST_CASE("addresses: a sane RFC 5322 addr-spec subset", "[unit][mail]") {
  for (const char* ok : {"a@example.org", "first.last@sub.example.co.uk", "user+tag@example.org", "x_y-z@ex-ample.org",
                         "o'brien@example.ie", "a!#$%&'*+/=?^_`{|}~-@example.org", "1@2.io"})
    CHECK(validAddress(ok));
  for (const char* bad : {"",
                          "plain",
                          "@example.org",
                          "a@",
                          "a@localhost",
                          "a@@example.org",
                          ".a@example.org",
                          "a.@example.org",
                          "a..b@example.org",
                          "a b@example.org",
                          "a@exa mple.org",
                          "a@-ex.org",
                          "a@ex-.org",
                          "a@ex..org",
                          "\"quoted\"@example.org",
                          "a@[127.0.0.1]",
                          "a@example.org\r\nBcc: x@y.org",
                          "a@example.org,b@example.org",
                          "<a@example.org>",
                          "Name <a@example.org>",
                          "ä@example.org",
                          "a@exämple.org"})
    CHECK_FALSE(validAddress(bad));
  CHECK(validAddress(std::string(64, 'a') + "@example.org"));
  CHECK_FALSE(validAddress(std::string(65, 'a') + "@example.org"));
  CHECK_FALSE(validAddress("a@" + std::string(64, 'b') + ".org"));
  std::string longDomain;
  for (int i = 0; i < 5; ++i) longDomain += std::string(60, 'c') + ".";
  CHECK_FALSE(validAddress("a@" + longDomain + "org"));  // > 254 in total
}

TEST_CASE("header fields: CR, LF and NUL are rejected (no header injection)", "[unit][mail]") {
  CHECK_NOTHROW(checkHeaderValue("subject", "Hello: world"));
  CHECK_THROWS_WITH(checkHeaderValue("subject", "Hi\r\nBcc: evil@example.org"), Catch::Contains("header injection"));
  CHECK_THROWS_AS(checkHeaderValue("subject", "Hi\nthere"), InvalidMail);
  CHECK_THROWS_AS(checkHeaderValue("subject", std::string("Hi\0there", 8)), InvalidMail);
  CHECK_THROWS_AS(checkHeaderValue("to", "a@example.org\r"), InvalidMail);
}

TEST_CASE("send requests: parsing, limits and clear errors", "[unit][mail]") {
  auto m = parseSendRequest(R"({"to":"a@example.org","subject":"S","text":"T","html":"<p>H</p>","tag":"reset"})");
  CHECK(m.to == std::vector<std::string>{"a@example.org"});
  CHECK(m.subject == "S");
  CHECK(m.html == std::optional<std::string>("<p>H</p>"));
  CHECK(m.tag == std::optional<std::string>("reset"));
  auto list = parseSendRequest(R"({"to":["a@example.org","b@example.org"],"subject":"S","text":"T"})");
  CHECK(list.to.size() == 2);
  CHECK_FALSE(list.html);

  struct Bad {
    std::string json, expect;
  };
  std::string big(256 * 1024 + 1, 'x');
  std::string bigHtml(512 * 1024 + 1, 'x');
  std::vector<Bad> cases{
      {"nope", "JSON object"},
      {R"({"subject":"S","text":"T"})", "'to' is required"},
      {R"({"to":"not-an-address","subject":"S","text":"T"})", "invalid recipient address 'not-an-address'"},
      {R"({"to":["a@example.org",3],"subject":"S","text":"T"})", "array of strings"},
      {R"({"to":[],"subject":"S","text":"T"})", "'to' is required"},
      {R"({"to":"a@example.org\r\nBcc: x@example.org","subject":"S","text":"T"})", "'to' must not contain CR, LF"},
      {R"({"to":"a@example.org","subject":"Hi\nBcc: x@example.org","text":"T"})", "'subject' must not contain CR, LF"},
      {R"({"to":"a@example.org","subject":"Hi\u0000","text":"T"})", "'subject' must not contain CR, LF or NUL"},
      {R"({"to":"a@example.org","subject":"","text":"T"})", "'subject' is required"},
      {R"({"to":"a@example.org","subject":")" + std::string(256, 's') + R"(","text":"T"})",
       "'subject' is 256 bytes; the limit is 255"},
      {R"({"to":"a@example.org","subject":"S"})", "'text' is required"},
      {R"({"to":"a@example.org","subject":"S","text":")" + big + R"("})",
       "'text' is 262145 bytes; the limit is 262144"},
      {R"({"to":"a@example.org","subject":"S","text":"T","html":")" + bigHtml + R"("})", "'html' is 524289 bytes"},
      {R"({"to":"a@example.org","subject":"S","text":"T","tag":"a b"})", "'tag' may only contain"},
      {R"({"to":"a@example.org","subject":"S","text":"T","tag":"a\r\nb"})", "'tag' must not contain CR, LF"},
      {R"({"to":"a@example.org","subject":"S","text":"T","cc":"b@example.org"})", "unknown field 'cc'"},
      {R"({"to":"a@example.org","subject":7,"text":"T"})", "'subject' must be a string"},
  };
  std::string many = R"({"to":[)";
  for (int i = 0; i < 51; ++i) many += std::string(i ? "," : "") + "\"u" + std::to_string(i) + "@example.org\"";
  cases.push_back({many + R"(],"subject":"S","text":"T"})", "'to' has 51 recipients; at most 50"});
  for (const auto& c : cases) {
    INFO(c.json.substr(0, 120));
    CHECK_THROWS_WITH(parseSendRequest(c.json), Catch::Contains(c.expect));
  }
  Outgoing bad;
  bad.to = {"a@example.org"};
  bad.subject = "S";
  bad.text = "\xff\xfe";
  CHECK_THROWS_WITH(validate(bad), Catch::Contains("'text' is not valid UTF-8"));
}

TEST_CASE("utf-8 validation", "[unit][mail]") {
  CHECK(validUtf8("plain"));
  CHECK(validUtf8("Grüße \xF0\x9F\x98\x82"));
  CHECK_FALSE(validUtf8("\xC3"));
  CHECK_FALSE(validUtf8("\xC0\xAF"));  // overlong
  CHECK_FALSE(validUtf8("\xF0\x9F\x98"));
  CHECK_FALSE(validUtf8("\x80"));
}

TEST_CASE("configured mailboxes", "[unit][mail]") {
  auto m = parseMailbox("Code::Stats <noreply@codestats.net>", "from");
  CHECK(m.name == "Code::Stats");
  CHECK(m.addr == "noreply@codestats.net");
  CHECK(formatMailbox(m) == "\"Code::Stats\" <noreply@codestats.net>");
  CHECK(parseMailbox("a@example.org", "from").name.empty());
  CHECK_THROWS_WITH(parseMailbox("Name <bad>", "modules.mail.from"), Catch::Contains("modules.mail.from"));
  CHECK_THROWS_AS(parseMailbox("Name\r\nBcc: x@y.org <a@example.org>", "from"), std::invalid_argument);
  CHECK(formatMailbox(parseMailbox("Jürgen <j@example.org>", "from")) == "=?UTF-8?B?SsO8cmdlbg==?= <j@example.org>");
}

TEST_CASE("quoted-printable bodies decode to the original", "[unit][mail]") {
  std::string line(200, 'a');
  std::vector<std::string> samples{"hello",
                                   "a=b",
                                   "trailing space \nnext",
                                   line,
                                   "Grüße \xF0\x9F\x98\x82 = 100%",
                                   ".starts with a dot\n.\nend",
                                   "tab\tinside\t\nx"};
  for (const auto& s : samples) {
    std::string qp = quotedPrintable(s);
    INFO(qp);
    for (size_t pos = 0, next; pos < qp.size(); pos = next + 2) {
      next = qp.find("\r\n", pos);
      if (next == std::string::npos) next = qp.size();
      CHECK(next - pos <= 76);
    }
    CHECK(normalizeCrlf(qpDecode(qp)) == s);
  }
}

TEST_CASE("header text: RFC 2047 for non-ASCII subjects", "[unit][mail]") {
  CHECK(encodeHeaderText("Code::Stats password reset request") == "Code::Stats password reset request");
  std::string enc = encodeHeaderText("Grüße");
  CHECK(enc == "=?UTF-8?B?R3LDvMOfZQ==?=");
  std::string longer = encodeHeaderText(std::string(30, 'x') + "ü" + std::string(40, 'y'));
  CHECK(longer.find("\r\n ") != std::string::npos);  // folded into several encoded words
}

TEST_CASE("eml composition: headers, multipart/alternative, CRLF", "[unit][mail]") {
  EmlInput in;
  in.from = parseMailbox("Code::Stats <noreply@codestats.net>", "from");
  in.replyTo = parseMailbox("support@codestats.net", "reply_to");
  in.to = {"a@example.org", "b@example.org"};
  in.subject = "Code::Stats password reset request";
  in.text = "Line one\nhttps://codestats.net/reset-password/abc\n";
  in.html = "<p>Hi &amp; welcome</p>";
  in.tag = "password-reset";
  in.messageId = "mail-1@codestats.net";
  in.dateMs = 1715076672000;  // 2024-05-07 10:11:12 UTC
  in.boundary = "=_b0undary";
  std::string eml = composeEml(in);
  CHECK(eml.find("From: \"Code::Stats\" <noreply@codestats.net>\r\n") == 0);
  CHECK(eml.find("\r\nReply-To: support@codestats.net\r\n") != std::string::npos);
  CHECK(eml.find("\r\nTo: a@example.org, b@example.org\r\n") != std::string::npos);
  CHECK(eml.find("\r\nSubject: Code::Stats password reset request\r\n") != std::string::npos);
  CHECK(eml.find("\r\nDate: Tue, 07 May 2024 10:11:12 +0000\r\n") != std::string::npos);
  CHECK(eml.find("\r\nMessage-ID: <mail-1@codestats.net>\r\n") != std::string::npos);
  CHECK(eml.find("\r\nMIME-Version: 1.0\r\n") != std::string::npos);
  CHECK(eml.find("Content-Type: multipart/alternative; boundary=\"=_b0undary\"") != std::string::npos);
  CHECK(eml.find("--=_b0undary\r\nContent-Type: text/plain; charset=utf-8") != std::string::npos);
  CHECK(eml.find("--=_b0undary\r\nContent-Type: text/html; charset=utf-8") != std::string::npos);
  CHECK(eml.find("https://codestats.net/reset-password/abc") != std::string::npos);
  CHECK(eml.size() >= 14);
  CHECK(eml.substr(eml.size() - 16) == "--=_b0undary--\r\n");
  for (size_t i = 0; i < eml.size(); ++i)
    if (eml[i] == '\n') CHECK((i > 0 && eml[i - 1] == '\r'));  // CRLF only
  in.html.reset();
  std::string plain = composeEml(in);
  CHECK(plain.find("multipart") == std::string::npos);
  CHECK(plain.find("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n") !=
        std::string::npos);
}

TEST_CASE("retry policy: exponential backoff with jitter, status classes", "[unit][mail]") {
  CHECK(backoffDelayMs(1, 1000, 60000, 0.0) == 500);
  CHECK(backoffDelayMs(1, 1000, 60000, 0.999) >= 999);
  CHECK(backoffDelayMs(2, 1000, 60000, 0.0) == 1000);
  CHECK(backoffDelayMs(3, 1000, 60000, 0.0) == 2000);
  CHECK(backoffDelayMs(10, 1000, 60000, 0.0) == 30000);  // capped at max, jitter in [max/2, max)
  CHECK(backoffDelayMs(1000, 1000, 60000, 0.5) == 45000);
  for (int a = 1; a < 12; ++a) {
    int64_t d = std::min<int64_t>(1000LL << (a - 1), 60000);
    for (double r : {0.0, 0.3, 0.7, 0.9999}) {
      int64_t v = backoffDelayMs(a, 1000, 60000, r);
      CHECK(v >= d / 2);
      CHECK(v < d);
    }
  }
  CHECK(classifyHttpStatus(200) == Outcome::Sent);
  CHECK(classifyHttpStatus(202) == Outcome::Sent);
  CHECK(classifyHttpStatus(429) == Outcome::Retry);
  CHECK(classifyHttpStatus(500) == Outcome::Retry);
  CHECK(classifyHttpStatus(503) == Outcome::Retry);
  CHECK(classifyHttpStatus(400) == Outcome::Permanent);
  CHECK(classifyHttpStatus(401) == Outcome::Permanent);
  CHECK(classifyHttpStatus(404) == Outcome::Permanent);
  CHECK(classifySmtpError("Recipient rejected: 550 5.1.1 no such user") == Outcome::Permanent);
  CHECK(classifySmtpError("Recipient rejected: 451 4.7.1 greylisted") == Outcome::Retry);
  CHECK(classifySmtpError("Connection refused") == Outcome::Retry);
}

TEST_CASE("templates: the password-reset mail renders and escapes", "[unit][mail]") {
  std::map<std::string, std::string> vars{
      {"username", "bob <b>"}, {"reset_url", "https://x.org/reset-password/1?a=1&b=2"}, {"site_url", "https://x.org"}};
  CHECK(renderTemplate("Hi {{{username}}} {{username}}", vars) == "Hi bob <b> bob &lt;b&gt;");
  CHECK_THROWS_AS(checkTemplate("broken", "{{#open}} never closed"), std::invalid_argument);
  CHECK(std::string(kPasswordResetSubject) == "Code::Stats password reset request");
}

TEST_CASE("transports: missing configuration names the key", "[unit][mail]") {
  CommonSettings common;
  common.from = parseMailbox("a@example.org", "from");
  CHECK_THROWS_WITH(makeMailgunTransport({{"api_key", "k"}}, common), Catch::Contains("modules.mail.domain"));
  CHECK_THROWS_WITH(makeMailgunTransport({{"domain", "mg.example.org"}}, common),
                    Catch::Contains("modules.mail.api_key"));
  CHECK_THROWS_WITH(
      makeMailgunTransport({{"domain", "mg.example.org"}, {"api_key", "k"}, {"base_url", "ftp://x"}}, common),
      Catch::Contains("modules.mail.base_url"));
  CHECK_THROWS_WITH(makeSmtpTransport({}, common), Catch::Contains("modules.mail.smtp_host"));
  CHECK_THROWS_WITH(makeSmtpTransport({{"smtp_host", "h"}, {"smtp_user", "u"}}, common),
                    Catch::Contains("modules.mail.smtp_password"));
  CHECK_NOTHROW(makeMailgunTransport({{"domain", "mg.example.org"}, {"api_key", "k"}}, common));
}
