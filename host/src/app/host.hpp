// The codestatsd process: builds the host services from the configuration, loads the
// configured modules, serves until SIGINT/SIGTERM, reconciles modules on SIGHUP.
#pragma once

#include <mutex>

#include "config/config.hpp"

namespace codestats::host {

class Host {
 public:
  // Throws ConfigError for a bad configuration.
  explicit Host(ConfigSources sources);
  // Blocks until a termination signal; returns the process exit code. The caller must have
  // blocked SIGINT, SIGTERM and SIGHUP in every thread before calling.
  int run();

 private:
  HostConfig config() const;
  ConfigSources sources_;
  mutable std::mutex configMutex_;
  HostConfig config_;
};

// <exe dir>/../lib/codestatsd/modules when installed, else <exe dir>/../modules (build tree).
std::string defaultModuleDir();

}  // namespace codestats::host
