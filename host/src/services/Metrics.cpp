#include "services/Metrics.hpp"

#include <cctype>
#include <mutex>

namespace codestatsd {

std::atomic<int64_t>& Metrics::counter(std::string_view name, std::string_view labels) {
  {
    std::shared_lock lock(mu_);
    auto it = counters_.find(name);
    if (it != counters_.end()) {
      auto jt = it->second.find(std::string(labels));
      if (jt != it->second.end()) return *jt->second;
    }
  }
  std::unique_lock lock(mu_);
  auto& slot = counters_[std::string(name)][std::string(labels)];
  if (!slot) slot = std::make_unique<std::atomic<int64_t>>(0);
  return *slot;
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
  return out;
}

}  // namespace codestatsd
