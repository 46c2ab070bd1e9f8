// Tests for the histograms and per-route series of host/src/services/metrics.
#include <catch2/catch.hpp>

#include <string>

#include "services/metrics.hpp"

using namespace codestats::host;
using Catch::Matchers::Contains;

TEST_CASE("histogram: buckets are cumulative, with sum and count", "[metrics]") {
  Metrics m;
  auto& h = m.histogram("lat_seconds", "r=\"a\"");
  h.observeNs(50'000);          // 0.05 ms: first bucket
  h.observeNs(2'000'000);       // 2 ms
  h.observeNs(20'000'000'000);  // 20 s: only +Inf
  CHECK(h.count() == 3);
  std::string text = m.renderPrometheus();
  CHECK_THAT(text, Contains("# TYPE lat_seconds histogram\n"));
  CHECK_THAT(text, Contains("lat_seconds_bucket{r=\"a\",le=\"0.0001\"} 1\n"));
  CHECK_THAT(text, Contains("lat_seconds_bucket{r=\"a\",le=\"0.001\"} 1\n"));
  CHECK_THAT(text, Contains("lat_seconds_bucket{r=\"a\",le=\"0.0025\"} 2\n"));
  CHECK_THAT(text, Contains("lat_seconds_bucket{r=\"a\",le=\"2.5\"} 2\n"));
  CHECK_THAT(text, Contains("lat_seconds_bucket{r=\"a\",le=\"+Inf\"} 3\n"));
  CHECK_THAT(text, Contains("lat_seconds_count{r=\"a\"} 3\n"));
  CHECK_THAT(text, Contains("lat_seconds_sum{r=\"a\"} 20.00205\n"));
}

TEST_CASE("route stats: one series per module version and route, responses by class", "[metrics]") {
  Metrics m;
  RouteStats v1 = m.routeStats("hello", "1.0.0", "GET /hello");
  RouteStats again = m.routeStats("hello", "1.0.0", "GET /hello");
  CHECK(v1.latency == again.latency);  // the same storage: a reload back to 1.0.0 continues it
  RouteStats v2 = m.routeStats("hello", "2.0.0", "GET /hello");
  CHECK(v1.latency != v2.latency);
  v1.record(200, 1000);
  v1.record(404, 1000);
  v2.record(503, 1000);
  RouteStats unresolved;
  unresolved.record(200, 1000);  // a no-op, not a crash
  std::string labels = "module=\"hello\",version=\"1.0.0\",route=\"GET /hello\"";
  CHECK(m.value("codestats_http_route_responses_total", labels + ",class=\"2xx\"") == 1);
  CHECK(m.value("codestats_http_route_responses_total", labels + ",class=\"4xx\"") == 1);
  CHECK(m.value("codestats_http_route_responses_total",
                "module=\"hello\",version=\"2.0.0\",route=\"GET /hello\",class=\"5xx\"") == 1);
  CHECK_THAT(m.renderPrometheus(), Contains("codestats_http_request_duration_seconds_count{" + labels + "} 2\n"));
}
