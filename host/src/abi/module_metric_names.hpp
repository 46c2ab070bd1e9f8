// How a module's gauge or histogram name becomes a Prometheus family (ABI 1.2): the
// checks on the name, the family codestats_<module>_<name>{module="<module>"}, and the
// histogram buckets the host fixes per name. Pure logic: no SDK, no registry.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace codestats::host {

struct ModuleMetric {
  std::string family;  // codestats_<module>_<name>
  std::string labels;  // module="<module>"
};

// Throws std::invalid_argument naming what is wrong with `name`.
ModuleMetric moduleMetric(std::string_view module, std::string_view name);

// Names ending in _seconds: the route latency buckets (0.0001 .. 2.5 s); all others: powers
// of two 1 .. 1024 (batch sizes, queue lengths, counts).
std::span<const double> moduleHistogramBounds(std::string_view name);

}  // namespace codestats::host
