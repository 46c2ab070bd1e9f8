#include "http/event_loop_lane.hpp"

#include <Poco/Net/HTTPResponse.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "abi/exchange.hpp"
#include "config/config.hpp"
#include "http/batch_queue.hpp"
#include "http/client_address.hpp"
#include "http/connection_deadlines.hpp"
#include "http/lane_context.hpp"
#include "http/path_normalizer.hpp"
#include "http/redaction.hpp"
#include "http/request_head.hpp"
#include "http/response_bytes.hpp"
#include "http/response_hardening.hpp"
#include "http/route_lookup.hpp"
#include "util/ascii_case.hpp"

namespace codestats::host {

using Clock = std::chrono::steady_clock;

// A fast-lane request on its way through its route's batch queue.
struct EventLoopLane::FastItem : BatchItem {
  EventServer::ConnectionPtr conn;
  std::shared_ptr<const RouteOwner> lease;  // the route's generation stays loaded until the answer is sent
  RouteStats stats;
  Clock::time_point started;
  bool http10 = false, keepAlive = true;
};

namespace {

// The first X-Forwarded-For field's value, or "" (what NameValueCollection::get returned).
std::string forwardedFor(const cs_http_req& req) {
  for (const auto& [name, value] : req.headers)
    if (equalsIgnoringAsciiCase(name, "X-Forwarded-For")) return value;
  return {};
}

}  // namespace

EventLoopLane::EventLoopLane(std::shared_ptr<LaneContext> s, Poco::Net::HTTPServerParams::Ptr params,
                             Poco::Net::HTTPRequestHandlerFactory::Ptr fullPath, ConnectionDeadlines& deadlines,
                             std::atomic<int64_t>& slowClosed)
    : s_(std::move(s)), params_(std::move(params)), fullPath_(std::move(fullPath)), deadlines_(deadlines),
      slowClosed_(slowClosed) {}

bool EventLoopLane::wantsFast(const RequestHead& head) {
  auto split = splitTarget(head.target);
  RouteMatch match;
  return split && batchRoute(head.method, *split, match);
}

bool EventLoopLane::takeFast(const EventServer::ConnectionPtr& conn, const RequestHead& head, std::string_view body) {
  auto split = splitTarget(head.target);
  RouteMatch match;
  if (!split || !batchRoute(head.method, *split, match)) return false;
  auto item = std::make_unique<FastItem>();
  item->started = Clock::now();
  s_->requests.fetch_add(1, std::memory_order_relaxed);
  cs_http_req& req = item->req;
  req.requestId = s_->ids.next();
  req.method.assign(head.method);
  req.target.assign(head.target);
  req.path = std::move(split->path);
  req.query = std::move(split->query);
  req.body.assign(body);
  for (const auto& [name, value] : head.headers) req.addHeader(std::string(name), std::string(value));
  req.remoteAddr = clientAddress(EventServer::peerAddress(*conn), forwardedFor(req), s_->config.httpTrustedProxies);
  req.params = std::move(match.params);
  item->conn = conn;
  item->lease = std::move(match.lease);
  item->stats = match.route->stats;
  item->http10 = head.http10;
  item->keepAlive = head.keepAlive;
  item->done = [this](BatchItem& b) { answer(std::unique_ptr<FastItem>(static_cast<FastItem*>(&b))); };
  BatchQueue& queue = *match.route->batch;
  queue.submit(*item.release());
  return true;
}

bool EventLoopLane::serve(const Poco::Net::StreamSocket& socket) {
  return deadlines_.serve(socket, params_, fullPath_);
}

void EventLoopLane::refuseMalformed(const EventServer::ConnectionPtr& conn, const char* reason) {
  server_->respond(conn, malformedAnswer(*s_, reason), false);
}

void EventLoopLane::slowClientClosed() { slowClosed_.fetch_add(1, std::memory_order_relaxed); }

void EventLoopLane::overloadClosed() { s_->overloadClosed.fetch_add(1, std::memory_order_relaxed); }

// A batch route for a request the fast lane can take (not HEAD, not a host path).
bool EventLoopLane::batchRoute(std::string_view method, const SplitTarget& split, RouteMatch& match) {
  if (method == "HEAD") return false;
  if (split.path == kHealthPath || split.path == kReadyPath || split.path == kLiveSocketPath) return false;
  if (s_->builtinBenchRoute && split.path == kBuiltinBenchPath) return false;
  PathSegments segments(split.path);
  std::string allow;
  return s_->routes.route(method, segments, match, allow) == RouteResult::Found && match.route->batch;
}

// On the thread of the call that carried the item: the response, its metrics, its log line.
void EventLoopLane::answer(std::unique_ptr<FastItem> item) {
  cs_http_resp& resp = item->resp;
  if (item->failed) resp = moduleFailure(*s_, *item->lease, item->req, item->error);  // a page or JSON, by Accept
  hardenResponseHeaders(resp.headers, s_->secureCookies);
  if (resp.status >= 500) s_->status5xx++;
  else if (resp.status >= 400) s_->status4xx++;
  // While the server drains for a stop, the answer ends the connection (and says so).
  const bool keepAlive = item->keepAlive && !server_->draining();
  server_->respond(item->conn, responseBytes(item->http10, keepAlive, item->req.requestId, resp), keepAlive);
  if (item->stats.latency || s_->logRequests) {
    const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - item->started).count();
    item->stats.record(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status), ns);
    if (s_->logRequests)
      spdlog::info("[http] {} {} {} {:.3f}ms id={} ip={}", item->req.method, redactTarget(item->req.target),
                   resp.status, static_cast<double>(ns) / 1e6, item->req.requestId, item->req.remoteAddr);
  }
}

}  // namespace codestats::host
