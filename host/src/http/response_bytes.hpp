// The bytes of a response as the Poco-based path sends it for a module's answer, for the
// event-driven fast lane: the same status line, header order and values, so a client cannot
// tell which path answered (tests/integration/http_connection_test.cpp compares them).
//
//   HTTP/1.x <status> <reason>        (the request's version)
//   Date, Connection (Keep-Alive | Close), X-Request-Id,
//   the module's headers in order (Set-Cookie may repeat; another repeated name replaces
//   the earlier value in place), Content-Length.
#pragma once

#include <string>
#include <string_view>

struct cs_http_resp;

namespace codestats::host {

std::string responseBytes(bool http10, bool keepAlive, std::string_view requestId, const cs_http_resp& resp);

// "Fri, 27 Nov 2026 01:50:05 GMT" for now (cached per second and thread).
const std::string& httpDateNow();

}  // namespace codestats::host
