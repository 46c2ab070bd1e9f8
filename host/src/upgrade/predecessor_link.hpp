// The new host's side of an upgrade (upgrade/host_upgrade.hpp has the whole exchange): the
// host that started it with --handover-fd passes its listening sockets, its modules' state
// and its WebSockets.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "upgrade/handover_messages.hpp"

namespace codestats::host::upgrade {

class HandoverChannel;

class PredecessorLink {
 public:
  PredecessorLink(int fd, std::chrono::milliseconds timeout);
  ~PredecessorLink();

  struct Start {
    int httpFd = -1, adminFd = -1;  // owned by the caller
    std::vector<ModuleState> states;
  };
  // Says hello, then receives the listeners and the module states (the old host's event
  // consumers are paused from then on).
  Start begin();
  // Modules loaded, listening: the old host stops accepting and sends its WebSockets.
  std::vector<MovedSocket> ready();
  void done();
  // Tells the old host why this one gives up (best effort; it keeps serving).
  void fail(const std::string& why) noexcept;

 private:
  void receiveSockets(std::vector<MovedSocket>& sockets);  // appends as they arrive
  std::unique_ptr<HandoverChannel> channel_;
  std::chrono::milliseconds timeout_;
};

}  // namespace codestats::host::upgrade
