// What both lanes of the public port share (http/EventLoopLane, the fast lane; http/PocoLane,
// the full path): the configuration, the route lookup, request ids, the request counters, and
// the host's own answers to a malformed request (400) and a failed module call (500).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "services/metrics.hpp"

struct cs_http_req;
struct cs_http_resp;

namespace codestats::host {

struct HostConfig;
class RouteLookup;
class RouteOwner;

// The Phoenix socket endpoint of the original service (spec §6.1).
inline constexpr const char* kLiveSocketPath = "/live_update_socket/websocket";
// Answered by the host itself, before any module route (docs/operations.md).
inline constexpr const char* kHealthPath = "/healthz";
inline constexpr const char* kReadyPath = "/readyz";
// The host's copy of the fixture module's GET /hello (config http.bench_builtin_route).
inline constexpr const char* kBuiltinBenchPath = "/__bench/hello";

// Request ids: a random per-process prefix plus a counter (at least 8 hex digits); unique
// and cheap (snprintf here was ~1.7% of the host's CPU on the pulse path).
class RequestIds {
 public:
  RequestIds();
  std::string next();

 private:
  std::string prefix_;
  std::atomic<uint64_t> counter_{1};
};

struct LaneContext {
  LaneContext(const HostConfig& config, const RouteLookup& routes, Metrics& metrics);

  const HostConfig& config;
  const RouteLookup& routes;
  Metrics& metrics;
  RequestIds ids;
  bool builtinBenchRoute;
  bool secureCookies;
  bool logRequests;
  std::atomic<int64_t>& requests;
  std::atomic<int64_t>& status5xx;
  std::atomic<int64_t>& status4xx;
  std::atomic<int64_t>& tooLarge;
  std::atomic<int64_t>& overloadClosed;
};

// A request that is not HTTP or frames its body ambiguously (request_head.hpp), counted:
// the bytes of the same answer as the host's other 400s for malformed requests (HTTP/1.1,
// closing), with `reason` as its error.
std::string malformedAnswer(LaneContext& lanes, const char* reason);

// A module call failed: counted per module and logged; returns the 500 answer for the request,
// a page or JSON by its Accept (http/error_answer.hpp), naming the request id and nothing else.
cs_http_resp moduleFailure(LaneContext& lanes, const RouteOwner& owner, const cs_http_req& req, const std::string& why);

}  // namespace codestats::host
