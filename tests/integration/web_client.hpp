// A browser-like HTTP client for the web module's tests: keeps cookies (every Set-Cookie,
// Max-Age=0 deletes), sends forms with the page's CSRF token, follows nothing by itself.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace codestats::test {

struct WebReply {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string location() const { return header("location"); }
};

using Fields = std::vector<std::pair<std::string, std::string>>;

inline std::string formEncode(const Fields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    std::string ek, ev;
    Poco::URI::encode(k, "!#$&'()*+,/:;=?@[]", ek);
    Poco::URI::encode(v, "!#$&'()*+,/:;=?@[]", ev);
    out += (out.empty() ? "" : "&") + ek + "=" + ev;
  }
  return out;
}

class WebClient {
 public:
  explicit WebClient(int port) : port_(port) {}

  WebReply request(const std::string& method, const std::string& target, const std::string& body = {},
                   std::map<std::string, std::string> headers = {}) {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port_));
    s.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    std::string cookieHeader;
    for (const auto& [k, v] : cookies) cookieHeader += (cookieHeader.empty() ? "" : "; ") + k + "=" + v;
    if (!cookieHeader.empty() && !headers.count("Cookie")) req.set("Cookie", cookieHeader);
    if (!headers.count("Accept")) req.set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    s.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    WebReply r;
    r.status = resp.getStatus();
    for (const auto& [k, v] : resp) {
      std::string lk = k;
      for (char& c : lk) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace(lk, v);
      if (lk == "set-cookie") remember(v);
    }
    Poco::StreamCopier::copyToString(in, r.body);
    if (r.body.find("name=\"_csrf_token\"") != std::string::npos) csrf = extractCsrf(r.body);
    return r;
  }
  WebReply get(const std::string& target, std::map<std::string, std::string> headers = {}) {
    return request("GET", target, {}, std::move(headers));
  }
  // POSTs a form; the CSRF token of the last page is added unless withCsrf is false.
  WebReply post(const std::string& target, Fields fields, bool withCsrf = true) {
    if (withCsrf) fields.emplace_back("_csrf_token", csrf);
    return request("POST", target, formEncode(fields), {{"Content-Type", "application/x-www-form-urlencoded"}});
  }

  static std::string extractCsrf(const std::string& html) {
    std::smatch m;
    static const std::regex re("name=\"_csrf_token\" value=\"([^\"]+)\"");
    return std::regex_search(html, m, re) ? m[1].str() : std::string();
  }

  std::map<std::string, std::string> cookies;
  std::string csrf;

 private:
  void remember(const std::string& setCookie) {
    std::string pair = setCookie.substr(0, setCookie.find(';'));
    size_t eq = pair.find('=');
    if (eq == std::string::npos) return;
    std::string name = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (setCookie.find("Max-Age=0") != std::string::npos || value.empty()) cookies.erase(name);
    else cookies[name] = value;
  }

  int port_;
};

}  // namespace codestats::test
