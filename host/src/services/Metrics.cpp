#include "services/Metrics.hpp"

#include <cctype>
#include <cstdio>
#include <mutex>

namespace codestatsd {

namespace {

template <typename Map, typename Make>
auto& findOrCreate(std::shared_mutex& mu, Map& map, std::string_view name, std::string_view labels, Make make) {
  {
    std::shared_lock lock(mu);
    auto it = map.find(name);
    if (it != map.end()) {
      auto jt = it->second.find(std::string(labels));
      if (jt != it->second.end()) return *jt->second;
    }
  }
  std::unique_lock lock(mu);
  auto& slot = map[std::string(name)][std::string(labels)];
  if (!slot) slot = make();
  return *slot;
}

std::string formatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
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

std::atomic<int64_t>& Metrics::counter(std::string_view name, std::string_view labels) {
  return findOrCreate(mu_, counters_, name, labels, [] { return std::make_unique<std::atomic<int64_t>>(0); });
}

Histogram& Metrics::histogram(std::string_view name, std::string_view labels) {
  return findOrCreate(mu_, histograms_, name, labels, [] { return std::make_unique<Histogram>(); });
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
  return out;
}

}  // namespace codestatsd
