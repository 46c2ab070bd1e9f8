#include "http/PublicServer.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>

#include <codestats/json.hpp>

#include "abi/Exchange.hpp"
#include "config/Config.hpp"
#include "http/BatchQueue.hpp"
#include "http/ClientAddress.hpp"
#include "http/ConnectionDeadlines.hpp"
#include "http/EventServer.hpp"
#include "http/HandoffSocket.hpp"
#include "http/HttpConnection.hpp"
#include "http/HttpSyntax.hpp"
#include "http/PathNormalizer.hpp"
#include "http/Readiness.hpp"
#include "http/Redaction.hpp"
#include "http/RequestBody.hpp"
#include "http/ResponseBytes.hpp"
#include "http/ResponseHardening.hpp"
#include "http/RequestHead.hpp"
#include "http/ServerSession.hpp"
#include "runtime/ModuleTable.hpp"
#include "services/Metrics.hpp"
#include "util/AsciiCase.hpp"
#include "util/Random.hpp"
#include "ws/ChannelHub.hpp"

namespace codestatsd {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// The session of a request on the public port: every connection runs in runHttpConnection,
// whose sessions give the strict chunked decoder the bytes it reads.
ServerSession& serverSession(HTTPServerRequest& req) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  auto* session = impl ? dynamic_cast<ServerSession*>(&impl->session()) : nullptr;
  if (!session) throw std::logic_error("request not read by runHttpConnection");
  return *session;
}

// Request ids: a random per-process prefix plus a counter (at least 8 hex digits); unique
// and cheap (snprintf here was ~1.7% of the host's CPU on the pulse path).
class RequestIds {
 public:
  RequestIds() : prefix_(randomHex(4)) {}
  std::string next() {
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

 private:
  std::string prefix_;
  std::atomic<uint64_t> counter_{1};
};

using Clock = std::chrono::steady_clock;

struct Shared {
  Shared(const HostConfig& c, ModuleTable& m, Metrics& mt, ChannelHub* h, Readiness* r)
      : hub(h),
        readiness(r),
        config(c),
        modules(m),
        metrics(mt),
        builtinBenchRoute(c.benchBuiltinRoute),
        secureCookies(c.httpSecureCookies),
        logRequests(c.logRequests),
        requests(mt.counter("codestats_http_requests_total")),
        status5xx(mt.counter("codestats_http_responses_total", "class=\"5xx\"")),
        status4xx(mt.counter("codestats_http_responses_total", "class=\"4xx\"")),
        tooLarge(mt.counter("codestats_http_body_too_large_total")),
        overloadClosed(mt.counter("codestats_http_overload_closed_total")),
        builtinStats(mt.routeStats("host", CODESTATSD_VERSION, "GET /__bench/hello")),
        healthStats(mt.routeStats("host", CODESTATSD_VERSION, "GET /healthz")),
        readyStats(mt.routeStats("host", CODESTATSD_VERSION, "GET /readyz")) {}
  ChannelHub* hub;
  Readiness* readiness;
  const HostConfig& config;
  ModuleTable& modules;
  Metrics& metrics;
  RequestIds ids;
  bool builtinBenchRoute;
  bool secureCookies;
  bool logRequests;
  std::atomic<int64_t> builtinServed{0};
  std::atomic<int64_t>& requests;
  std::atomic<int64_t>& status5xx;
  std::atomic<int64_t>& status4xx;
  std::atomic<int64_t>& tooLarge;
  std::atomic<int64_t>& overloadClosed;
  RouteStats builtinStats, healthStats, readyStats;
};

// The Phoenix socket endpoint of the original service (spec §6.1).
constexpr const char* kLiveSocketPath = "/live_update_socket/websocket";
// Answered by the host itself, before any module route (docs/operations.md).
constexpr const char* kHealthPath = "/healthz";
constexpr const char* kReadyPath = "/readyz";

constexpr const char* kMalformedRequestBody = R"({"error":"Malformed request"})";

void sendJson(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status, const std::string& body) {
  resp.setStatusAndReason(status);
  resp.set("X-Content-Type-Options", "nosniff");
  resp.setContentType("application/json");
  resp.sendBuffer(body.data(), body.size());
}

// The same handler as the fixture module's GET /hello, compiled into the host: the
// baseline of the module-boundary benchmark (bench/module_boundary).
void builtinHello(Shared& s, cs_http_resp& out) {
  s.builtinServed.fetch_add(1, std::memory_order_relaxed);
  out.status = 200;
  out.headers.emplace_back("X-Module-Version", "1.0.0");
  out.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  out.body = "v1";
}

// A request that is not HTTP or frames its body ambiguously (RequestHead.hpp), counted:
// the bytes of the same answer as the host's other 400s for malformed requests (HTTP/1.1,
// closing), with `reason` as its error.
std::string malformedAnswer(Shared& s, const char* reason) {
  s.requests.fetch_add(1, std::memory_order_relaxed);
  s.status4xx++;
  cs_http_resp resp;
  resp.status = 400;
  resp.headers = {{"X-Content-Type-Options", "nosniff"}, {"Content-Type", "application/json"}};  // as sendJson
  resp.body = R"({"error":)" + codestats::jsonString(reason) + "}";
  return responseBytes(false, false, s.ids.next(), resp);
}

// A module call failed: counted per module and logged; returns the 500 body naming the request.
std::string moduleFailure(Shared& s, const Generation& gen, const cs_http_req& req, const std::string& why) {
  s.metrics.counter("codestats_module_handler_failures_total", Metrics::label("module", gen.module))++;
  spdlog::error("{} {} {} failed (request {}): {}", gen.logPrefix(), req.method, redactTarget(req.path), req.requestId,
                why);
  return R"({"error":"Internal server error","request_id":)" + codestats::jsonString(req.requestId) + "}";
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Shared& s) : s_(s) {}

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
        sendJson(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                 R"({"error":"Internal server error","request_id":")" + creq.requestId + "\"}");
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
    if (s_.hub && split->path == kLiveSocketPath && req.getMethod() == "GET") {
      // The hub takes the socket over; this HTTP thread is free again right after.
      ConnectionDeadlines::bodyReceived();
      s_.hub->accept(req, resp, split->query,
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
        case BodyRead::Complete:
          break;
        case BodyRead::TooLarge:
          tooLarge(resp);
          return;
        case BodyRead::Incomplete:
          incomplete(resp);
          return;
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
    if (s_.builtinBenchRoute && creq.path == "/__bench/hello") {
      stats = s_.builtinStats;
      builtinHello(s_, cresp);
      send(resp, cresp, req.getMethod());
      return;
    }

    PathSegments segments(creq.path);
    RouteMatch match;
    std::string allow;
    switch (s_.modules.route(creq.method, segments, match, allow)) {
      case RouteResult::NotFound:
        s_.status4xx++;
        sendJson(resp, HTTPResponse::HTTP_NOT_FOUND, R"({"error":"Not found"})");
        return;
      case RouteResult::MethodNotAllowed:
        s_.status4xx++;
        resp.set("Allow", allow);
        sendJson(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, R"({"error":"Method not allowed"})");
        return;
      case RouteResult::Found:
        break;
    }
    creq.params = std::move(match.params);
    stats = match.route->stats;

    if (match.route->batch) {
      // A batch route from a request thread: queue it and wait for its call to return.
      BatchItem item;
      item.req = std::move(creq);
      match.route->batch->submitAndWait(item);
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
    if (rc != CS_OK) {
      moduleFailed(resp, *match.lease, creq, err.data.empty() ? "status " + std::to_string(rc) : err.data);
      return;
    }
    send(resp, cresp, req.getMethod());
  }

  void moduleFailed(HTTPServerResponse& resp, const Generation& gen, const cs_http_req& creq, const std::string& why) {
    s_.status5xx++;
    sendJson(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, moduleFailure(s_, gen, creq, why));
  }

  void health(HTTPServerRequest& req, HTTPServerResponse& resp, bool ready, RouteStats& stats) {
    stats = ready ? s_.readyStats : s_.healthStats;
    resp.set("Cache-Control", "no-store");
    if (req.getMethod() != "GET" && req.getMethod() != "HEAD") {
      s_.status4xx++;
      resp.set("Allow", "GET, HEAD");
      sendJson(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, R"({"error":"Method not allowed"})");
      return;
    }
    if (!ready || !s_.readiness) {
      sendJson(resp, HTTPResponse::HTTP_OK, R"({"status":"ok"})");
      return;
    }
    ReadinessReport r = s_.readiness->check();
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

  Shared& s_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory, public MalformedRequestResponder {
 public:
  explicit Factory(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  std::string malformedResponse(const char* reason) override { return malformedAnswer(*s_, reason); }
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest& req) override {
    // Poco sends "100 Continue" after this, before the handler runs, unless the response's
    // status is no longer 200: a body over the limit is refused (413) without inviting it.
    if (req.getExpectContinue() && req.getContentLength64() > s_->config.httpMaxBodyBytes)
      req.response().setStatus(HTTPResponse::HTTP_REQUESTENTITYTOOLARGE);
    return new Handler(*s_);
  }

 private:
  std::shared_ptr<Shared> s_;
};

// The first X-Forwarded-For field's value, or "" (what NameValueCollection::get returned).
std::string forwardedFor(const cs_http_req& req) {
  for (const auto& [name, value] : req.headers)
    if (equalsIgnoringAsciiCase(name, "X-Forwarded-For")) return value;
  return {};
}

// A fast-lane request on its way through its route's batch queue.
struct FastItem : BatchItem {
  EventServer::ConnectionPtr conn;
  GenerationPtr lease;  // the route's generation stays loaded until the answer is sent
  RouteStats stats;
  Clock::time_point started;
  bool http10 = false, keepAlive = true;
};

// The event loop's delegate: plain requests to batch routes go through the fast lane,
// everything else runs in Poco's HTTP server code with the Handler above.
class Lanes : public EventServer::Delegate {
 public:
  Lanes(std::shared_ptr<Shared> s, Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
        ConnectionDeadlines& deadlines, std::atomic<int64_t>& slowClosed)
      : s_(std::move(s)), params_(std::move(params)), handlers_(std::move(handlers)), deadlines_(deadlines),
        slowClosed_(slowClosed) {}
  void attach(EventServer* server) { server_ = server; }

  bool wantsFast(const RequestHead& head) override {
    auto split = splitTarget(head.target);
    RouteMatch match;
    return split && batchRoute(head.method, *split, match);
  }

  bool takeFast(const EventServer::ConnectionPtr& conn, const RequestHead& head, std::string_view body) override {
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

  bool serve(const Poco::Net::StreamSocket& socket) override { return deadlines_.serve(socket, params_, handlers_); }
  void refuseMalformed(const EventServer::ConnectionPtr& conn, const char* reason) override {
    server_->respond(conn, malformedAnswer(*s_, reason), false);
  }
  void slowClientClosed() override { slowClosed_.fetch_add(1, std::memory_order_relaxed); }
  void overloadClosed() override { s_->overloadClosed.fetch_add(1, std::memory_order_relaxed); }

 private:
  // A batch route for a request the fast lane can take (not HEAD, not a host path).
  bool batchRoute(std::string_view method, const SplitTarget& split, RouteMatch& match) {
    if (method == "HEAD") return false;
    if (split.path == kHealthPath || split.path == kReadyPath || split.path == kLiveSocketPath) return false;
    if (s_->builtinBenchRoute && split.path == "/__bench/hello") return false;
    PathSegments segments(split.path);
    std::string allow;
    return s_->modules.route(method, segments, match, allow) == RouteResult::Found && match.route->batch;
  }

  // On the thread of the call that carried the item: the response, its metrics, its log line.
  void answer(std::unique_ptr<FastItem> item) {
    cs_http_resp& resp = item->resp;
    if (item->failed) {
      resp = cs_http_resp{};
      resp.status = 500;
      resp.headers = {{"X-Content-Type-Options", "nosniff"}, {"Content-Type", "application/json"}};  // as sendJson
      resp.body = moduleFailure(*s_, *item->lease, item->req, item->error);
    } else {
      hardenResponseHeaders(resp.headers, s_->secureCookies);
    }
    if (resp.status >= 500) s_->status5xx++;
    else if (resp.status >= 400) s_->status4xx++;
    server_->respond(item->conn, responseBytes(item->http10, item->keepAlive, item->req.requestId, resp), item->keepAlive);
    if (item->stats.latency || s_->logRequests) {
      const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - item->started).count();
      item->stats.record(static_cast<HTTPResponse::HTTPStatus>(resp.status), ns);
      if (s_->logRequests)
        spdlog::info("[http] {} {} {} {:.3f}ms id={} ip={}", item->req.method, redactTarget(item->req.target),
                     resp.status, static_cast<double>(ns) / 1e6, item->req.requestId, item->req.remoteAddr);
    }
  }

  std::shared_ptr<Shared> s_;
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  ConnectionDeadlines& deadlines_;
  std::atomic<int64_t>& slowClosed_;
  EventServer* server_ = nullptr;
};

}  // namespace

PublicServer::PublicServer(const HostConfig& config, ModuleTable& modules, Metrics& metrics, ChannelHub* hub,
                           Readiness* readiness) {
  auto shared = std::make_shared<Shared>(config, modules, metrics, hub, readiness);
  auto params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);  // unlimited
  params->setKeepAliveTimeout(Poco::Timespan(config.httpKeepAliveTimeoutMs * 1000));
  params->setTimeout(Poco::Timespan(config.httpRequestTimeoutMs * 1000));
  params->setServerName("codestatsd");
  Poco::Net::HTTPServerParams::Ptr p(params);
  std::atomic<int64_t>& slowClosed = metrics.counter("codestats_http_slow_clients_closed_total");
  deadlines_ = std::make_unique<ConnectionDeadlines>(
      std::chrono::milliseconds(config.httpHeaderTimeoutMs), std::chrono::milliseconds(config.httpBodyTimeoutMs),
      std::chrono::milliseconds(config.httpKeepAliveTimeoutMs), slowClosed);
  handlers_ = new Factory(shared);
  auto lanes = std::make_unique<Lanes>(shared, p, handlers_, *deadlines_, slowClosed);
  EventServer::Options o;
  o.host = config.httpHost;
  o.port = config.httpPort;
  o.headerTimeoutMs = config.httpHeaderTimeoutMs;
  o.bodyTimeoutMs = config.httpBodyTimeoutMs;
  o.keepAliveTimeoutMs = config.httpKeepAliveTimeoutMs;
  o.maxBodyBytes = config.httpMaxBodyBytes;
  o.requestThreads = static_cast<size_t>(config.httpMaxThreads);
  o.maxQueued = static_cast<size_t>(config.httpMaxQueued);
  server_ = std::make_unique<EventServer>(o, *lanes);
  lanes->attach(server_.get());
  lanes_ = std::move(lanes);
}

PublicServer::~PublicServer() {
  stop();
  server_.reset();  // joins the request threads
}

void PublicServer::start() { server_->start(); }

void PublicServer::stop() {
  if (!server_) return;
  // Stop reading new requests, then abort the requests that run in Poco's code, as
  // HTTPServer::stopAll(true) did.
  server_->stop();
  deadlines_->abortAll();
}

uint16_t PublicServer::port() const { return server_->port(); }

}  // namespace codestatsd
