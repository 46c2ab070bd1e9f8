// Tests for module gauges and histograms (ABI 1.2): the names and buckets of
// host/src/abi/module_metric_names, the gauge and value-histogram kinds of
// host/src/services/metrics, and the SDK wrapper's guard on a host table of ABI 1.1.
#include <catch2/catch.hpp>

#include <codestats/sdk.hpp>

#include <cstddef>
#include <string>

#include "abi/host_api.hpp"
#include "abi/module_metric_names.hpp"
#include "services/metrics.hpp"

using namespace codestats::host;
using Catch::Matchers::Contains;

TEST_CASE("module metrics: family names and their checks", "[metrics][abi]") {
  auto m = moduleMetric("ingest", "batch_size");
  CHECK(m.family == "codestats_ingest_batch_size");
  CHECK(m.labels == "module=\"ingest\"");
  CHECK(moduleMetric("my-module", "Depth_2").family == "codestats_my_module_Depth_2");
  CHECK(moduleMetric("my-module", "x").labels == "module=\"my-module\"");
  CHECK(moduleMetric("mail", std::string(64, 'q')).family.size() == std::string("codestats_mail_").size() + 64);

  for (std::string bad : {"", "9lives", "a-b", "a.b", "a b", "caf\xc3\xa9", "a:b"}) {
    INFO(bad);
    CHECK_THROWS_AS(moduleMetric("mail", bad), std::invalid_argument);
  }
  CHECK_THROWS_WITH(moduleMetric("mail", std::string(65, 'q')), Contains("at most 64 bytes"));
  for (std::string reserved : {"sent_total", "x_bucket", "x_sum", "x_count", "build_info"}) {
    INFO(reserved);
    CHECK_THROWS_WITH(moduleMetric("mail", reserved), Contains("must not end in"));
  }
  // The host's own prefixes are not a module's to use.
  for (std::string module : {"module", "http", "ws", "kv"}) {
    INFO(module);
    CHECK_THROWS_WITH(moduleMetric(module, "x"), Contains("host's metrics"));
  }
}

TEST_CASE("module metrics: histogram buckets are fixed per name", "[metrics][abi]") {
  auto sizes = moduleHistogramBounds("batch_size");
  REQUIRE(sizes.size() == 11);
  CHECK(sizes.front() == 1);
  CHECK(sizes.back() == 1024);
  for (size_t i = 1; i < sizes.size(); ++i) CHECK(sizes[i] == 2 * sizes[i - 1]);
  auto seconds = moduleHistogramBounds("delivery_seconds");
  CHECK(seconds.data() == Histogram::kBoundsSeconds.data());
  CHECK(moduleHistogramBounds("seconds_waited").data() == sizes.data());  // a suffix, not a substring
}

TEST_CASE("metrics: gauges keep the last value, value histograms count into their bounds", "[metrics]") {
  Metrics m;
  auto& g = m.gauge("q_depth", "module=\"mail\"");
  g.store(7);
  g.store(3.5);
  CHECK(&m.gauge("q_depth", "module=\"mail\"") == &g);
  static constexpr double kBounds[] = {1, 10};
  auto& h = m.valueHistogram("q_sizes", "module=\"mail\"", kBounds);
  for (double v : {0.5, 1.0, 2.0, 10.0, 11.0}) h.observe(v);
  CHECK(h.count() == 5);
  std::string out = m.renderPrometheus();
  INFO(out);
  CHECK_THAT(out, Contains("# TYPE q_depth gauge\nq_depth{module=\"mail\"} 3.5\n"));
  CHECK_THAT(out, Contains("# TYPE q_sizes histogram\n"
                           "q_sizes_bucket{module=\"mail\",le=\"1\"} 2\n"
                           "q_sizes_bucket{module=\"mail\",le=\"10\"} 4\n"
                           "q_sizes_bucket{module=\"mail\",le=\"+Inf\"} 5\n"
                           "q_sizes_sum{module=\"mail\"} 24.5\n"
                           "q_sizes_count{module=\"mail\"} 5\n"));
  // large values are not rounded (bytes, pulses)
  m.gauge("big_bytes").store(12345678901.0);
  m.valueHistogram("q_sizes", "module=\"mail\"", kBounds).observe(1e10);
  out = m.renderPrometheus();
  CHECK_THAT(out, Contains("\nbig_bytes 12345678901\n"));
  CHECK_THAT(out, Contains("q_sizes_sum{module=\"mail\"} 10000000024.5\n"));
  CHECK(m.kindOf("q_depth") == "gauge");
  CHECK(m.kindOf("q_sizes") == "histogram");
  CHECK(m.kindOf("nothing").empty());
}

TEST_CASE("metrics: a name is one kind; gauges and value histograms refuse another", "[metrics]") {
  Metrics m;
  static constexpr double kBounds[] = {1, 2};
  static constexpr double kOther[] = {1, 4};
  m.counter("c_total") += 1;
  m.histogram("lat_seconds");
  m.gauge("g");
  m.valueHistogram("v", "a=\"1\"", kBounds);
  CHECK_THROWS_AS(m.gauge("c_total"), MetricKindConflict);
  CHECK_THROWS_AS(m.gauge("lat_seconds"), MetricKindConflict);
  CHECK_THROWS_AS(m.gauge("v", "a=\"2\""), MetricKindConflict);
  CHECK_THROWS_AS(m.valueHistogram("g", "", kBounds), MetricKindConflict);
  CHECK_THROWS_AS(m.valueHistogram("lat_seconds", "", kBounds), MetricKindConflict);
  CHECK_THROWS_AS(m.valueHistogram("c_total", "", kBounds), MetricKindConflict);
  CHECK_THROWS_WITH(m.valueHistogram("v", "a=\"1\"", kOther), Contains("other buckets"));
  // more series of the same kind are fine
  CHECK_NOTHROW(m.gauge("g", "b=\"1\""));
  CHECK_NOTHROW(m.valueHistogram("v", "a=\"2\"", kBounds));
  std::string out = m.renderPrometheus();
  CHECK(out.find("# TYPE g gauge") != std::string::npos);
  CHECK(out.find("# TYPE g histogram") == std::string::npos);
}

TEST_CASE("sdk: Host::gauge and Host::observe check the host table before calling", "[abi][sdk]") {
  const cs_host_api* current = hostApi();
  CHECK(current->abi_minor == CS_ABI_MINOR);
  CHECK(CS_HOST_HAS(current, histogram_observe));

  // A host of ABI 1.1: the same table, ending before gauge_set.
  cs_host_api v11 = *current;
  v11.abi_minor = 1;
  v11.struct_size = static_cast<uint32_t>(offsetof(cs_host_api, gauge_set));
  v11.gauge_set = nullptr;  // a call through it would crash: the wrapper must not make one
  v11.histogram_observe = nullptr;
  codestats::Host old(&v11, nullptr);
  CHECK_FALSE(old.hasGaugesAndHistograms());
  CHECK(old.gauge("depth", 1) == CS_E_UNAVAILABLE);
  CHECK(old.observe("size", 1) == CS_E_UNAVAILABLE);

  // The current host table is called (and refuses a call without a host context).
  codestats::Host now(current, nullptr);
  CHECK(now.hasGaugesAndHistograms());
  CHECK(now.gauge("depth", 1) == CS_E_INVALID);
  CHECK(now.observe("size", 1) == CS_E_INVALID);
}
