// Host-owned metrics: counters and gauges with labels, fixed-bucket latency histograms and
// value histograms (module-observed sizes and counts), rendered in the Prometheus text format. Storage never moves, so
// hot paths resolve a series once (at route activation, at startup) and keep the reference; observing is a few relaxed
// atomic adds, no lock and no allocation.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace codestats::host {

// Latency in seconds with Prometheus-style `le` buckets. Counts are kept per bucket (not
// cumulative) so that observe() touches one bucket; rendering accumulates them.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBoundsSeconds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                         0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
  void observeNs(int64_t ns) {
    size_t i = 0;
    const double s = static_cast<double>(ns) * 1e-9;
    while (i < kBoundsSeconds.size() && s > kBoundsSeconds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sumNs_.fetch_add(ns, std::memory_order_relaxed);
  }
  uint64_t count() const;
  // Appends the _bucket, _sum and _count lines of one series.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsSeconds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<int64_t> sumNs_{0};
};

// A histogram of plain values (batch sizes, queue lengths, seconds) over caller-given
// bounds, which must be sorted and outlive it (static arrays). Same cumulative rendering.
class ValueHistogram {
 public:
  explicit ValueHistogram(std::span<const double> bounds);
  void observe(double v) {
    size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
  }
  uint64_t count() const;
  std::span<const double> bounds() const { return bounds_; }
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1; last: +Inf
  std::atomic<double> sum_{0};
};

// A metric name asked for as a second kind (a gauge that is already a counter, ...).
class MetricKindConflict : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The series one route (or the host's own endpoints) records into: latency and responses
// by status class. Pointers into the registry; null until resolved.
struct RouteStats {
  Histogram* latency = nullptr;
  std::array<std::atomic<int64_t>*, 5> responses{};  // 1xx..5xx
  void record(int status, int64_t ns) const {
    if (!latency) return;
    latency->observeNs(ns);
    int c = status / 100 - 1;
    if (c >= 0 && c < 5) responses[static_cast<size_t>(c)]->fetch_add(1, std::memory_order_relaxed);
  }
};

class Metrics {
 public:
  // name: [a-zA-Z_:][a-zA-Z0-9_:]*; labels: already-formatted `k="v",k2="v2"` (may be empty)
  std::atomic<int64_t>& counter(std::string_view name, std::string_view labels = {});
  Histogram& histogram(std::string_view name, std::string_view labels = {});
  // Gauges and value histograms refuse a name that is already another kind (any family:
  // counter, latency histogram, gauge, value histogram) with MetricKindConflict, and a value
  // histogram refuses other bounds than the ones its family was created with.
  std::atomic<double>& gauge(std::string_view name, std::string_view labels = {});
  ValueHistogram& valueHistogram(std::string_view name, std::string_view labels, std::span<const double> bounds);
  // codestats_http_request_duration_seconds and codestats_http_route_responses_total for
  // one route of one module version.
  RouteStats routeStats(std::string_view module, std::string_view version, std::string_view route);

  std::string renderPrometheus() const;
  // The kind of family `name` ("counter", "histogram", "gauge") or "" when it does not exist.
  std::string kindOf(std::string_view name) const;
  int64_t value(std::string_view name, std::string_view labels = {}) const;

  static std::string label(std::string_view key, std::string_view value);  // escapes the value
  static std::string sanitizeName(std::string_view name);
  // For values computed when /metrics is read: one "# TYPE" line per family, then samples.
  static std::string typeLine(std::string_view name, std::string_view type);
  static std::string sample(std::string_view name, std::string_view labels, double value);

 private:
  // With mu_ held: the kind of an existing family, or nullptr.
  const char* kindLocked(std::string_view name) const;

  mutable std::shared_mutex mu_;
  std::map<std::string, std::map<std::string, std::unique_ptr<std::atomic<int64_t>>>, std::less<>> counters_;
  std::map<std::string, std::map<std::string, std::unique_ptr<Histogram>>, std::less<>> histograms_;
  std::map<std::string, std::map<std::string, std::unique_ptr<std::atomic<double>>>, std::less<>> gauges_;
  std::map<std::string, std::map<std::string, std::unique_ptr<ValueHistogram>>, std::less<>> valueHistograms_;
};

}  // namespace codestats::host
