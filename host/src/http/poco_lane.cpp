#include "http/poco_lane.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

#include "abi/exchange.hpp"
#include "config/config.hpp"
#include "http/batch_queue.hpp"
#include "http/client_address.hpp"
#include "http/connection_deadlines.hpp"
#include "http/error_answer.hpp"
#include "http/handoff_socket.hpp"
#include "http/http_syntax.hpp"
#include "http/lane_context.hpp"
#include "http/path_normalizer.hpp"
#include "http/readiness.hpp"
#include "http/redaction.hpp"
#include "http/request_body.hpp"
#include "http/response_hardening.hpp"
#include "http/route_lookup.hpp"
#include "http/server_session.hpp"

namespace codestats::host {

struct PocoLane::State {
  State(std::shared_ptr<LaneContext> l, LiveSocketAccept socket, Readiness* r)
      : lanes(std::move(l)), liveSocket(std::move(socket)), readiness(r),
        builtinStats(lanes->metrics.routeStats("host", CODESTATSD_VERSION, "GET /__bench/hello")),
        healthStats(lanes->metrics.routeStats("host", CODESTATSD_VERSION, "GET /healthz")),
        readyStats(lanes->metrics.routeStats("host", CODESTATSD_VERSION, "GET /readyz")) {}
  std::shared_ptr<LaneContext> lanes;
  LiveSocketAccept liveSocket;
  Readiness* readiness;
  std::atomic<int64_t> builtinServed{0};
  RouteStats builtinStats, healthStats, readyStats;
};

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using Clock = std::chrono::steady_clock;

constexpr const char* kMalformedRequestBody = R"({"error":"Malformed request"})";

// The session of a request on the public port: every connection runs in runHttpConnection,
// whose sessions give the strict chunked decoder the bytes it reads.
ServerSession& serverSession(HTTPServerRequest& req) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  auto* session = impl ? dynamic_cast<ServerSession*>(&impl->session()) : nullptr;
  if (!session) throw std::logic_error("request not read by runHttpConnection");
  return *session;
}

// While the server drains, an answer ends its connection and says so. runHttpConnection
// decides that when the request starts; a module call or a readiness check may last until
// the drain has begun.
void closeIfDraining(HTTPServerRequest& req, HTTPServerResponse& resp) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  auto* socket = impl ? dynamic_cast<HandoffSocketImpl*>(impl->socket().impl()) : nullptr;
  if (socket && socket->serverDraining()) resp.setKeepAlive(false);
}

void sendJson(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status, const std::string& body) {
  resp.setStatusAndReason(status);
  resp.set("X-Content-Type-Options", "nosniff");
  resp.setContentType("application/json");
  resp.sendBuffer(body.data(), body.size());
}

// The host's own 404, 405 and 500: a small page for a browser, JSON for everyone else
// (http/error_answer.hpp, the rule a module's error pages follow too).
void sendError(HTTPServerRequest& req, HTTPServerResponse& resp, HTTPResponse::HTTPStatus status,
               const std::string& requestId = {}) {
  std::optional<std::string_view> accept;
  if (req.has("Accept")) accept = req.get("Accept");
  ErrorAnswer answer = errorAnswer(accept, status, requestId);
  hardenResponseHeaders(answer.headers, false);  // the page's CSP; there are no cookies to flag
  resp.setStatusAndReason(status);
  for (const auto& [name, value] : answer.headers) resp.set(name, value);
  resp.sendBuffer(answer.body.data(), answer.body.size());
}

// The same handler as the fixture module's GET /hello, compiled into the host: the
// baseline of the module-boundary benchmark (bench/module_boundary).
void builtinHello(PocoLane::State& p, cs_http_resp& out) {
  p.builtinServed.fetch_add(1, std::memory_order_relaxed);
  out.status = 200;
  out.headers.emplace_back("X-Module-Version", "1.0.0");
  out.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  out.body = "v1";
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(PocoLane::State& p) : p_(p), s_(*p.lanes) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    const auto started = Clock::now();
    ConnectionDeadlines::headReceived();
    s_.requests.fetch_add(1, std::memory_order_relaxed);
    cs_http_req creq;
    creq.requestId = s_.ids.next();
    resp.set("X-Request-Id", creq.requestId);
    // A copy: the route's generation may be unloaded as soon as handle() drops its lease;
    // the series it points to live in the metrics registry.
    RouteStats stats;
    try {
      handle(req, resp, creq, stats);
    } catch (const std::exception& e) {
      // Host-side failure (client went away mid-body, etc.): answer if still possible.
      spdlog::warn("[host] request {} failed: {}", creq.requestId, e.what());
      if (!resp.sent()) {
        s_.status5xx++;
        sendError(req, resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, creq.requestId);
      }
    }
    ConnectionDeadlines::responseSent();
    if (stats.latency || s_.logRequests) {
      const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count();
      stats.record(resp.getStatus(), ns);
      if (s_.logRequests)
        spdlog::info("[http] {} {} {} {:.3f}ms id={} ip={}", req.getMethod(), redactTarget(req.getURI()),
                     static_cast<int>(resp.getStatus()), static_cast<double>(ns) / 1e6, creq.requestId,
                     clientAddress(req.clientAddress().host().toString(), req.get("X-Forwarded-For", ""),
                                   s_.config.httpTrustedProxies));
    }
  }

 private:
  // Poco accepts some malformed requests (any version string, header lines without a
  // valid name); refuse them here so every module sees well-formed HTTP/1.x.
  static bool wellFormed(const HTTPServerRequest& req) {
    const std::string& v = req.getVersion();
    if (v != "HTTP/1.1" && v != "HTTP/1.0") return false;
    if (v == "HTTP/1.1" && !req.has("Host")) return false;  // RFC 9112 section 3.2
    for (const auto& [name, value] : req)
      if (!isToken(name)) return false;
    return true;
  }

  void handle(HTTPServerRequest& req, HTTPServerResponse& resp, cs_http_req& creq, RouteStats& stats) {
    auto split = splitTarget(req.getURI());
    if (!wellFormed(req)) {
      s_.status4xx++;
      resp.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
      resp.setKeepAlive(false);
      sendJson(resp, HTTPResponse::HTTP_BAD_REQUEST, kMalformedRequestBody);
      return;
    }
    if (!split) {
      s_.status4xx++;
      resp.setKeepAlive(false);
      sendJson(resp, HTTPResponse::HTTP_BAD_REQUEST, R"({"error":"Bad request target"})");
      return;
    }
    if (split->path == kHealthPath || split->path == kReadyPath) {
      health(req, resp, split->path == kReadyPath, stats);
      return;
    }
    if (p_.liveSocket && split->path == kLiveSocketPath && req.getMethod() == "GET") {
      // The hub takes the socket over; this HTTP thread is free again right after.
      ConnectionDeadlines::bodyReceived();
      p_.liveSocket(req, resp, split->query,
                    clientAddress(req.clientAddress().host().toString(), req.get("X-Forwarded-For", ""),
                                  s_.config.httpTrustedProxies));
      // Upgraded: the hub owns the socket and its idle timeout; a refused handshake keeps
      // the connection (and its deadlines) here.
      if (resp.getStatus() == HTTPResponse::HTTP_SWITCHING_PROTOCOLS) ConnectionDeadlines::detach();
      return;
    }
    const int64_t limit = s_.config.httpMaxBodyBytes;
    if (req.getContentLength64() > limit) {
      tooLarge(resp);
      return;
    }
    if (req.getChunkedTransferEncoding()) {
      // Not Poco's chunked stream: it ends the body at a bad chunk-size line and leaves the
      // rest to be read as the next request.
      switch (readChunkedBody(serverSession(req), limit, creq.body)) {
        case BodyRead::Complete: break;
        case BodyRead::TooLarge: tooLarge(resp); return;
        case BodyRead::Incomplete: incomplete(resp); return;
        case BodyRead::Invalid:
          s_.status4xx++;
          resp.setKeepAlive(false);
          sendJson(resp, HTTPResponse::HTTP_BAD_REQUEST, R"({"error":"Invalid chunked body"})");
          return;
      }
    } else if (req.hasContentLength()) {
      std::istream& in = req.stream();
      char buf[16384];
      while (in) {
        in.read(buf, sizeof buf);
        creq.body.append(buf, static_cast<size_t>(in.gcount()));
      }
      // Poco's body stream ends early when the client does: a truncated request never
      // reaches a module.
      if (static_cast<int64_t>(creq.body.size()) < req.getContentLength64()) {
        incomplete(resp);
        return;
      }
    }
    ConnectionDeadlines::bodyReceived();  // no deadline while the module works

    creq.method = req.getMethod();
    creq.target = req.getURI();
    creq.path = std::move(split->path);
    creq.query = std::move(split->query);
    creq.remoteAddr = clientAddress(req.clientAddress().host().toString(), req.get("X-Forwarded-For", ""),
                                    s_.config.httpTrustedProxies);
    for (const auto& field : req) creq.headers.emplace_back(field.first, field.second);  // grouped already

    cs_http_resp cresp;
    if (s_.builtinBenchRoute && creq.path == kBuiltinBenchPath) {
      stats = p_.builtinStats;
      builtinHello(p_, cresp);
      send(resp, cresp, req.getMethod());
      return;
    }

    PathSegments segments(creq.path);
    RouteMatch match;
    std::string allow;
    switch (s_.routes.route(creq.method, segments, match, allow)) {
      case RouteResult::NotFound:
        s_.status4xx++;
        sendError(req, resp, HTTPResponse::HTTP_NOT_FOUND);
        return;
      case RouteResult::MethodNotAllowed:
        s_.status4xx++;
        resp.set("Allow", allow);
        sendError(req, resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED);
        return;
      case RouteResult::Found: break;
    }
    creq.params = std::move(match.params);
    stats = match.route->stats;

    if (match.route->batch) {
      // A batch route from a request thread: queue it and wait for its call to return.
      BatchItem item;
      item.req = std::move(creq);
      match.route->batch->submitAndWait(item);
      closeIfDraining(req, resp);
      creq = std::move(item.req);  // (the request id, for the log line)
      if (item.failed) {
        moduleFailed(resp, *match.lease, creq, item.error);
        return;
      }
      send(resp, item.resp, req.getMethod());
      return;
    }

    cs_buf err;
    cs_status rc = CS_E_MODULE;
    try {
      rc = match.route->fn(match.route->ud, &creq, &cresp, &err);
    } catch (...) {
      err.data = "exception escaped the module boundary";
    }
    closeIfDraining(req, resp);
    if (rc != CS_OK) {
      moduleFailed(resp, *match.lease, creq, err.data.empty() ? "status " + std::to_string(rc) : err.data);
      return;
    }
    if (cresp.failed) {  // resp_fail
      moduleFailed(resp, *match.lease, creq, cresp.failure);
      return;
    }
    send(resp, cresp, req.getMethod());
  }

  // A page or JSON by the request's Accept; counted as a 5xx by send().
  void moduleFailed(HTTPServerResponse& resp, const RouteOwner& owner, const cs_http_req& creq,
                    const std::string& why) {
    cs_http_resp failure = moduleFailure(s_, owner, creq, why);
    send(resp, failure, creq.method);
  }

  void health(HTTPServerRequest& req, HTTPServerResponse& resp, bool ready, RouteStats& stats) {
    stats = ready ? p_.readyStats : p_.healthStats;
    resp.set("Cache-Control", "no-store");
    if (req.getMethod() != "GET" && req.getMethod() != "HEAD") {
      s_.status4xx++;
      resp.set("Allow", "GET, HEAD");
      sendJson(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, R"({"error":"Method not allowed"})");
      return;
    }
    if (!ready || !p_.readiness) {
      sendJson(resp, HTTPResponse::HTTP_OK, R"({"status":"ok"})");
      return;
    }
    ReadinessReport r = p_.readiness->check();
    closeIfDraining(req, resp);
    if (!r.ready) s_.status5xx++;
    sendJson(resp, r.ready ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE, r.json);
  }

  // A body shorter than announced when the stream ended (the client is gone or half-closed;
  // the answer is a courtesy): no module sees it.
  void incomplete(HTTPServerResponse& resp) {
    s_.status4xx++;
    resp.setKeepAlive(false);
    sendJson(resp, HTTPResponse::HTTP_BAD_REQUEST, R"({"error":"Incomplete request body"})");
  }

  void tooLarge(HTTPServerResponse& resp) {
    s_.tooLarge++;
    s_.status4xx++;
    resp.setKeepAlive(false);  // the rest of the body is never read
    sendJson(resp, HTTPResponse::HTTP_REQUESTENTITYTOOLARGE, R"({"error":"Request body too large"})");
  }

  void send(HTTPServerResponse& resp, cs_http_resp& c, const std::string& method) {
    if (c.status >= 500) s_.status5xx++;
    else if (c.status >= 400) s_.status4xx++;
    resp.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(c.status));
    hardenResponseHeaders(c.headers, s_.secureCookies);
    for (auto& [k, v] : c.headers) {
      if (k == "Set-Cookie" || k == "set-cookie") resp.add(k, v);
      else resp.set(k, v);
    }
    (void)method;  // Poco omits the body for HEAD itself
    resp.sendBuffer(c.body.data(), c.body.size());
  }

  PocoLane::State& p_;
  LaneContext& s_;
};

}  // namespace

PocoLane::PocoLane(std::shared_ptr<LaneContext> lanes, LiveSocketAccept liveSocket, Readiness* readiness)
    : state_(std::make_shared<State>(std::move(lanes), std::move(liveSocket), readiness)) {}

std::string PocoLane::malformedResponse(const char* reason) { return malformedAnswer(*state_->lanes, reason); }

Poco::Net::HTTPRequestHandler* PocoLane::createRequestHandler(const HTTPServerRequest& req) {
  // Poco sends "100 Continue" after this, before the handler runs, unless the response's
  // status is no longer 200: a body over the limit is refused (413) without inviting it.
  if (req.getExpectContinue() && req.getContentLength64() > state_->lanes->config.httpMaxBodyBytes)
    req.response().setStatus(HTTPResponse::HTTP_REQUESTENTITYTOOLARGE);
  return new Handler(*state_);
}

}  // namespace codestats::host
