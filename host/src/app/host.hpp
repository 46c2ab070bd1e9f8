// The codestatsd process: builds the host services from the configuration, loads the
// configured modules, serves until SIGINT/SIGTERM, reconciles modules on SIGHUP, hands over
// to a new process on SIGUSR2 or POST /admin/upgrade (upgrade/HostUpgrade).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace codestats::host {

namespace upgrade {
class PredecessorLink;
}

// How this process was started, for starting its successor (codestatsctl upgrade).
struct HostLaunch {
  std::vector<std::string> args;  // the command line after the program name, --handover-fd left out
  std::string binary;             // the running executable's path
  int handoverFd = -1;            // set: a running host started this one to take over from it
};

class Host {
 public:
  // Throws ConfigError for a bad configuration.
  explicit Host(ConfigSources sources, HostLaunch launch = {});
  ~Host();
  // Blocks until a termination signal; returns the process exit code. The caller must have
  // blocked SIGINT, SIGTERM and SIGHUP in every thread before calling.
  int run();

 private:
  HostConfig config() const;
  int serve();
  ConfigSources sources_;
  HostLaunch launch_;
  std::unique_ptr<upgrade::PredecessorLink> predecessor_;  // set while taking over from a running host
  mutable std::mutex configMutex_;
  HostConfig config_;
};

// <exe dir>/../lib/codestatsd/modules when installed, else <exe dir>/../modules (build tree).
std::string defaultModuleDir();

}  // namespace codestats::host
