#include "util/systemd_notify.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace codestats::host {

void notifySystemd(const std::string& state) {
  int rc = sd_notify(0, state.c_str());
  if (rc < 0) spdlog::warn("[host] cannot notify systemd ({}): error {}", state, -rc);
}

}  // namespace codestats::host
