// The operators' HTTP API on its own loopback port, behind a bearer token:
//
//   GET  /admin/modules                 every module: version, generation, state, leases...
//   GET  /admin/modules/{name}
//   POST /admin/modules/load            {"name": "...", "artifact": "..."?}
//   POST /admin/modules/{name}/reload   {"artifact": "..."?, "wait": true|false}
//   POST /admin/modules/{name}/unload
//   POST /admin/reconcile               same as SIGHUP
//   GET  /admin/commands                module admin commands
//   POST /admin/commands/{name}         {"args": ["..."]}
//   GET  /metrics                       Prometheus text
//
// codestatsctl is its client. Errors are JSON {"error": "..."} with a fitting status.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace codestats::host {

class ModuleManager;
class ModuleTable;
class Metrics;
struct HostConfig;

struct AdminContext {
  ModuleManager& manager;
  ModuleTable& table;
  Metrics& metrics;
  std::string token;
  std::function<std::string()> reconcile;  // returns a JSON report
  std::function<std::string()> gauges;     // extra Prometheus text for /metrics (may be empty)
};

class AdminServer {
 public:
  AdminServer(const HostConfig& config, AdminContext context);
  ~AdminServer();
  void start();
  void stop();
  uint16_t port() const;

 private:
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// Constant-time comparison of a presented bearer token.
bool tokenMatches(const std::string& expected, const std::string& authorizationHeader);

}  // namespace codestats::host
