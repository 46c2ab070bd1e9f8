// Host-owned metrics: monotonically increasing counters with labels, rendered in the
// Prometheus text format. Counter storage never moves, so hot paths keep a reference.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace codestatsd {

class Metrics {
 public:
  // name: [a-zA-Z_:][a-zA-Z0-9_:]*; labels: already-formatted `k="v",k2="v2"` (may be empty)
  std::atomic<int64_t>& counter(std::string_view name, std::string_view labels = {});
  std::string renderPrometheus() const;
  int64_t value(std::string_view name, std::string_view labels = {}) const;

  static std::string label(std::string_view key, std::string_view value);  // escapes the value
  static std::string sanitizeName(std::string_view name);

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::map<std::string, std::unique_ptr<std::atomic<int64_t>>>, std::less<>> counters_;
};

}  // namespace codestatsd
