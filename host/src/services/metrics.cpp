#include "services/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <mutex>

namespace codestats::host {

namespace {

// The series under a shared lock, or null: the hot path, every counter bump after the first.
template <typename Map>
auto* findExisting(std::shared_mutex& mu, Map& map, std::string_view name, std::string_view labels) {
  std::shared_lock lock(mu);
  auto it = map.find(name);
  if (it == map.end()) return decltype(it->second.begin()->second.get())(nullptr);
  auto jt = it->second.find(std::string(labels));
  return jt == it->second.end() ? nullptr : jt->second.get();
}

template <typename Map, typename Make>
auto& findOrCreate(std::shared_mutex& mu, Map& map, std::string_view name, std::string_view labels, Make make) {
  if (auto* found = findExisting(mu, map, name, labels)) return *found;
  std::unique_lock lock(mu);
  auto& slot = map[std::string(name)][std::string(labels)];
  if (!slot) slot = make();
  return *slot;
}

// Like findOrCreate, for the kinds that must not share a name with another kind: the
// family is checked when a series is first created in it.
template <typename Map, typename Make, typename KindOf>
auto& findOrCreateExclusive(std::shared_mutex& mu, Map& map, std::string_view name, std::string_view labels,
                            const char* kind, KindOf kindOf, Make make) {
  if (auto* found = findExisting(mu, map, name, labels)) return *found;
  std::unique_lock lock(mu);
  const char* existing = kindOf(name);
  if (existing && (std::string_view(existing) != kind || map.find(name) == map.end()))
    throw MetricKindConflict("metric '" + std::string(name) + "' is already a " + existing);
  auto& slot = map[std::string(name)][std::string(labels)];
  if (!slot) slot = make();
  return *slot;
}

std::string formatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Shortest text that reads back as v: gauges and value sums may be large integers (bytes,
// pulses) that %.9g would round.
std::string formatExact(double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

}  // namespace

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < kBoundsSeconds.size() ? formatDouble(kBoundsSeconds[i]) : "+Inf";
    out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + formatDouble(static_cast<double>(sumNs_.load()) * 1e-9) + "\n";
  out += name + "_count" + braces + " " + std::to_string(cumulative) + "\n";
}

ValueHistogram::ValueHistogram(std::span<const double> bounds)
    : bounds_(bounds), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

uint64_t ValueHistogram::count() const {
  uint64_t n = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) n += buckets_[i].load(std::memory_order_relaxed);
  return n;
}

void ValueHistogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? formatDouble(bounds_[i]) : "+Inf";
    out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + formatExact(sum_.load(std::memory_order_relaxed)) + "\n";
  out += name + "_count" + braces + " " + std::to_string(cumulative) + "\n";
}

std::atomic<int64_t>& Metrics::counter(std::string_view name, std::string_view labels) {
  return findOrCreate(mu_, counters_, name, labels, [] { return std::make_unique<std::atomic<int64_t>>(0); });
}

Histogram& Metrics::histogram(std::string_view name, std::string_view labels) {
  return findOrCreate(mu_, histograms_, name, labels, [] { return std::make_unique<Histogram>(); });
}

std::atomic<double>& Metrics::gauge(std::string_view name, std::string_view labels) {
  return findOrCreateExclusive(
      mu_, gauges_, name, labels, "gauge", [this](std::string_view n) { return kindLocked(n); },
      [] { return std::make_unique<std::atomic<double>>(0.0); });
}

ValueHistogram& Metrics::valueHistogram(std::string_view name, std::string_view labels,
                                        std::span<const double> bounds) {
  ValueHistogram& h = findOrCreateExclusive(
      mu_, valueHistograms_, name, labels, "histogram", [this](std::string_view n) { return kindLocked(n); },
      [&] { return std::make_unique<ValueHistogram>(bounds); });
  if (!std::equal(h.bounds().begin(), h.bounds().end(), bounds.begin(), bounds.end()))
    throw MetricKindConflict("histogram '" + std::string(name) + "' already has other buckets");
  return h;
}

const char* Metrics::kindLocked(std::string_view name) const {
  if (counters_.count(name)) return "counter";
  if (histograms_.count(name) || valueHistograms_.count(name)) return "histogram";
  if (gauges_.count(name)) return "gauge";
  return nullptr;
}

std::string Metrics::kindOf(std::string_view name) const {
  std::shared_lock lock(mu_);
  const char* k = kindLocked(name);
  return k ? k : "";
}

RouteStats Metrics::routeStats(std::string_view module, std::string_view version, std::string_view route) {
  std::string labels = label("module", module) + "," + label("version", version) + "," + label("route", route);
  RouteStats s;
  s.latency = &histogram("codestats_http_request_duration_seconds", labels);
  for (size_t c = 0; c < s.responses.size(); ++c)
    s.responses[c] =
        &counter("codestats_http_route_responses_total", labels + "," + label("class", std::to_string(c + 1) + "xx"));
  return s;
}

int64_t Metrics::value(std::string_view name, std::string_view labels) const {
  std::shared_lock lock(mu_);
  auto it = counters_.find(name);
  if (it == counters_.end()) return 0;
  auto jt = it->second.find(std::string(labels));
  return jt == it->second.end() ? 0 : jt->second->load();
}

std::string Metrics::label(std::string_view key, std::string_view value) {
  std::string out(key);
  out += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string Metrics::sanitizeName(std::string_view name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':') ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(out.begin(), '_');
  return out;
}

std::string Metrics::typeLine(std::string_view name, std::string_view type) {
  return "# TYPE " + std::string(name) + " " + std::string(type) + "\n";
}

std::string Metrics::sample(std::string_view name, std::string_view labels, double value) {
  std::string out(name);
  if (!labels.empty()) out += "{" + std::string(labels) + "}";
  return out + " " + formatDouble(value) + "\n";
}

std::string Metrics::renderPrometheus() const {
  std::string out;
  std::shared_lock lock(mu_);
  for (const auto& [name, series] : counters_) {
    out += "# TYPE " + name + " counter\n";
    for (const auto& [labels, v] : series) {
      out += name;
      if (!labels.empty()) out += "{" + labels + "}";
      out += " " + std::to_string(v->load()) + "\n";
    }
  }
  for (const auto& [name, series] : histograms_) {
    out += "# TYPE " + name + " histogram\n";
    for (const auto& [labels, h] : series) h->render(out, name, labels);
  }
  for (const auto& [name, series] : gauges_) {
    out += "# TYPE " + name + " gauge\n";
    for (const auto& [labels, v] : series) {
      out += name;
      if (!labels.empty()) out += "{" + labels + "}";
      out += " " + formatExact(v->load(std::memory_order_relaxed)) + "\n";
    }
  }
  for (const auto& [name, series] : valueHistograms_) {
    out += "# TYPE " + name + " histogram\n";
    for (const auto& [labels, h] : series) h->render(out, name, labels);
  }
  return out;
}

}  // namespace codestats::host
