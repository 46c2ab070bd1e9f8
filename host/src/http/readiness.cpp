#include "http/readiness.hpp"

#include <spdlog/spdlog.h>

#include <codestats/json.hpp>

#include "db/database.hpp"

namespace codestats::host {

namespace {
constexpr auto kCacheFor = std::chrono::seconds(1);
}

Readiness::Readiness(db::Pool& pool, std::function<std::vector<std::string>()> expected,
                     std::function<bool(const std::string&)> active)
    : pool_(pool), expected_(std::move(expected)), active_(std::move(active)) {}

ReadinessReport Readiness::check() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (last_.json.empty() || now - checkedAt_ >= kCacheFor) {
    last_ = evaluate();
    checkedAt_ = std::chrono::steady_clock::now();
  }
  return last_;
}

ReadinessReport Readiness::evaluate() {
  bool dbOk = true;
  try {
    auto conn = pool_.acquire();
    auto rs = conn->query("SELECT 1", nullptr, 0);
    dbOk = rs.rows() == 1;
    if (!dbOk) throw std::runtime_error("SELECT 1 returned no row");
    lastDbError_.clear();
  } catch (const std::exception& e) {
    dbOk = false;
    if (lastDbError_ != e.what()) spdlog::warn("[host] readiness: database check failed: {}", e.what());
    lastDbError_ = e.what();
  }
  bool modulesOk = true;
  std::string modules;
  for (const auto& name : expected_()) {
    bool active = active_(name);
    modulesOk = modulesOk && active;
    modules +=
        (modules.empty() ? "" : ",") + codestats::jsonString(name) + ":" + (active ? "\"active\"" : "\"not loaded\"");
  }
  ReadinessReport r;
  r.ready = dbOk && modulesOk;
  r.json = std::string("{\"status\":") + (r.ready ? "\"ready\"" : "\"not ready\"") +
           ",\"database\":" + (dbOk ? "\"ok\"" : "\"unreachable\"") + ",\"modules\":{" + modules + "}}";
  return r;
}

}  // namespace codestats::host
