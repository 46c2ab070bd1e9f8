// The operators' HTTP API on its own loopback port, behind a bearer token:
//
//   GET  /admin/modules                 every module: version, generation, state, leases...
//   GET  /admin/modules/{name}
//   POST /admin/modules/load            {"name": "...", "artifact": "..."?}
//   POST /admin/modules/{name}/reload   {"artifact": "..."?, "wait": true|false}
//   POST /admin/modules/{name}/unload
//   POST /admin/reconcile               same as SIGHUP
//   POST /admin/upgrade                 {"binary": "..."?} replace the host process (SIGUSR2)
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
  // POST /admin/upgrade: runs the upgrade (upgrade/HostUpgrade); `then` (may be empty) runs
  // after the reply went out (the old host's shutdown).
  struct UpgradeReply {
    int status = 200;
    std::string json;
    std::function<void()> then;
  };
  std::function<UpgradeReply(const std::string& binary)> upgrade;
};

class AdminServer {
 public:
  // inheritedListenFd: the listening socket a host upgrade passed (-1: bind admin.host:admin.port)
  AdminServer(const HostConfig& config, AdminContext context, int inheritedListenFd = -1);
  ~AdminServer();
  void start();
  void stop();
  uint16_t port() const;
  // Host upgrade: the listening socket the successor gets a copy of; stopAccepting() leaves
  // it to the successor (requests in progress finish).
  int listenFd() const { return listenFd_; }
  void stopAccepting();

 private:
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int listenFd_ = -1;
};

// Constant-time comparison of a presented bearer token.
bool tokenMatches(const std::string& expected, const std::string& authorizationHeader);

}  // namespace codestats::host
