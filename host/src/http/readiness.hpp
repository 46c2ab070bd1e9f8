// GET /readyz on the public port: ready when the database answers a trivial query and
// every configured module has an active generation. The result is cached for one second,
// so a load balancer (or anyone: the endpoint is public) cannot turn it into DB load.
// The public answer names no database error; the reason is logged instead.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace codestats::host {

namespace db {
class Pool;
}

struct ReadinessReport {
  bool ready = false;
  std::string json;
};

class Readiness {
 public:
  // expectedModules: the configured modules; moduleActive: whether one has an active
  // generation (the module table answers, app/host.cpp).
  Readiness(db::Pool& pool, std::function<std::vector<std::string>()> expectedModules,
            std::function<bool(const std::string&)> moduleActive);
  ReadinessReport check();

 private:
  ReadinessReport evaluate();

  db::Pool& pool_;
  std::function<std::vector<std::string>()> expected_;
  std::function<bool(const std::string&)> active_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point checkedAt_{};
  ReadinessReport last_;
  std::string lastDbError_;
};

}  // namespace codestats::host
