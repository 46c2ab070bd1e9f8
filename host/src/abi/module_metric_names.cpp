#include "abi/module_metric_names.hpp"

#include <array>

#include "services/metrics.hpp"

namespace codestats::host {
namespace {

constexpr size_t kMaxNameLength = 64;

// Suffixes of counter and histogram series: a gauge called x_count, or a histogram x next to
// a gauge x_sum, would make the exposition ambiguous.
constexpr std::array<std::string_view, 5> kReservedSuffixes{"_total", "_bucket", "_sum", "_count", "_info"};

// The host renders codestats_module_*, codestats_http_*, codestats_ws_* and codestats_kv_*
// itself (some at scrape time, outside the registry's kind check), so a module of one of
// these names gets no metrics of its own.
constexpr std::array<std::string_view, 4> kHostPrefixes{"module", "http", "ws", "kv"};

constexpr std::array<double, 11> kPowersOfTwo{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool validName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

}  // namespace

ModuleMetric moduleMetric(std::string_view module, std::string_view name) {
  if (!validName(name))
    throw std::invalid_argument("metric name '" + std::string(name) +
                                "' must match [A-Za-z_][A-Za-z0-9_]* and be at most 64 bytes");
  for (auto suffix : kReservedSuffixes)
    if (endsWith(name, suffix))
      throw std::invalid_argument("metric name '" + std::string(name) + "' must not end in " + std::string(suffix));
  std::string prefix = Metrics::sanitizeName(module);
  for (auto reserved : kHostPrefixes)
    if (prefix == reserved)
      throw std::invalid_argument("module '" + std::string(module) + "' has a name the host's metrics use");
  return ModuleMetric{"codestats_" + prefix + "_" + std::string(name), Metrics::label("module", module)};
}

std::span<const double> moduleHistogramBounds(std::string_view name) {
  if (endsWith(name, "_seconds")) return Histogram::kBoundsSeconds;
  return kPowersOfTwo;
}

}  // namespace codestats::host
