#include "http/lane_context.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include <codestats/json.hpp>

#include "abi/exchange.hpp"
#include "config/config.hpp"
#include "http/error_answer.hpp"
#include "http/redaction.hpp"
#include "http/response_bytes.hpp"
#include "http/route_lookup.hpp"
#include "util/random.hpp"

namespace codestats::host {

RequestIds::RequestIds() : prefix_(randomHex(4)) {}

std::string RequestIds::next() {
  char digits[16];
  const uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  auto end = std::to_chars(digits, digits + sizeof digits, n, 16).ptr;
  const size_t len = static_cast<size_t>(end - digits);
  std::string id;
  id.reserve(prefix_.size() + std::max<size_t>(len, 8));
  id += prefix_;
  if (len < 8) id.append(8 - len, '0');
  id.append(digits, len);
  return id;
}

LaneContext::LaneContext(const HostConfig& c, const RouteLookup& r, Metrics& mt)
    : config(c), routes(r), metrics(mt), builtinBenchRoute(c.benchBuiltinRoute), secureCookies(c.httpSecureCookies),
      logRequests(c.logRequests), requests(mt.counter("codestats_http_requests_total")),
      status5xx(mt.counter("codestats_http_responses_total", "class=\"5xx\"")),
      status4xx(mt.counter("codestats_http_responses_total", "class=\"4xx\"")),
      tooLarge(mt.counter("codestats_http_body_too_large_total")),
      overloadClosed(mt.counter("codestats_http_overload_closed_total")) {}

std::string malformedAnswer(LaneContext& s, const char* reason) {
  s.requests.fetch_add(1, std::memory_order_relaxed);
  s.status4xx++;
  cs_http_resp resp;
  resp.status = 400;
  resp.headers = {{"X-Content-Type-Options", "nosniff"}, {"Content-Type", "application/json"}};  // as sendJson
  resp.body = R"({"error":)" + codestats::jsonString(reason) + "}";
  return responseBytes(false, false, s.ids.next(), resp);
}

cs_http_resp moduleFailure(LaneContext& s, const RouteOwner& owner, const cs_http_req& req, const std::string& why) {
  s.metrics.counter("codestats_module_handler_failures_total", Metrics::label("module", owner.moduleName()))++;
  spdlog::error("{} {} {} failed (request {}): {}", owner.logPrefix(), req.method, redactTarget(req.path),
                req.requestId, why);
  ErrorAnswer answer = errorAnswer(acceptOf(req), 500, req.requestId);
  cs_http_resp resp;
  resp.status = answer.status;
  resp.headers = std::move(answer.headers);
  resp.body = std::move(answer.body);
  return resp;
}

}  // namespace codestats::host
