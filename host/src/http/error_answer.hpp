// The host's own error answers on the public port, a 404 or 405 of the router and a 500 for a
// module call that failed: a small HTML page for a browser, JSON for every other client, by
// the one rule of <codestats/accept.hpp> (errorForm) that modules' error pages follow too.
// A 500 names the request id (also in X-Request-Id), never what failed: that goes to the log.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct cs_http_req;

namespace codestats::host {

struct ErrorAnswer {
  int status = 500;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type, X-Content-Type-Options
  std::string body;
};

// `status` is 404, 405 or 500; `requestId` goes into a 500's body.
ErrorAnswer errorAnswer(std::optional<std::string_view> accept, int status, const std::string& requestId = {});

// The request's first Accept field, if it has one.
std::optional<std::string_view> acceptOf(const cs_http_req& req);

}  // namespace codestats::host
