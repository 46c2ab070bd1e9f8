#include "http/response_bytes.hpp"

#include <Poco/Net/HTTPResponse.h>

#include <ctime>
#include <utility>
#include <vector>

#include "abi/exchange.hpp"
#include "util/ascii_case.hpp"

namespace codestats::host {
namespace {}  // namespace

const std::string& httpDateNow() {
  thread_local std::time_t cachedSecond = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cachedSecond) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);  // C locale names
    cached.assign(buf, n);
    cachedSecond = now;
  }
  return cached;
}

std::string responseBytes(bool http10, bool keepAlive, std::string_view requestId, const cs_http_resp& resp) {
  // Header fields in Poco's order: what the server set first, then the handler's (a name set
  // again replaces its value where it stands; Set-Cookie is added), Content-Length last.
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  fields.reserve(resp.headers.size() + 4);
  const std::string& date = httpDateNow();
  fields.emplace_back("Date", date);
  fields.emplace_back("Connection", keepAlive ? "Keep-Alive" : "Close");
  fields.emplace_back("X-Request-Id", requestId);
  const std::string length = std::to_string(resp.body.size());
  bool lengthSet = false;
  for (const auto& [name, value] : resp.headers) {
    std::string_view v = value;
    if (equalsIgnoringAsciiCase(name, "Content-Length")) {
      v = length;  // the body's real length, as Poco's sendBuffer sets it
      lengthSet = true;
    }
    bool replaced = false;
    if (!equalsIgnoringAsciiCase(name, "Set-Cookie")) {
      for (auto& f : fields)
        if (equalsIgnoringAsciiCase(f.first, name)) {
          f.second = v;
          replaced = true;
          break;
        }
    }
    if (!replaced) fields.emplace_back(name, v);
  }
  if (!lengthSet) fields.emplace_back("Content-Length", length);

  const std::string reason =
      Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
  std::string out;
  size_t size = 32 + reason.size() + resp.body.size();
  for (const auto& f : fields) size += f.first.size() + f.second.size() + 4;
  out.reserve(size);
  out += http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(resp.status);
  out += ' ';
  out += reason;
  out += "\r\n";
  for (const auto& [name, value] : fields) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  out += resp.body;
  return out;
}

}  // namespace codestats::host
