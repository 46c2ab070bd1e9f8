// The new host's side of an upgrade (upgrade/host_upgrade.hpp has the whole exchange): the
// host that started it with --handover-fd passes its listening sockets, its modules' state,
// its WebSockets and, while it drains, its idle HTTP keep-alive connections.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "upgrade/handover_messages.hpp"

namespace codestats::host::upgrade {

class HandoverChannel;

class PredecessorLink {
 public:
  PredecessorLink(int fd, std::chrono::milliseconds timeout);
  ~PredecessorLink();  // stops receiving connections (receiveConnections) and waits for that

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
  // After done(): when the old host said so, its idle HTTP keep-alive connections arrive
  // while it drains. A thread of this link hands each to `adopt` (which owns its
  // descriptor) until the old host says it sent the last one, or the link is destroyed.
  bool connectionsFollow() const { return connectionsFollow_; }
  void receiveConnections(std::function<void(MovedSocket)> adopt);
  // Tells the old host why this one gives up (best effort; it keeps serving).
  void fail(const std::string& why) noexcept;

 private:
  void receiveSockets(std::vector<MovedSocket>& sockets);  // appends as they arrive
  void receiveConnectionsUntilEnd(const std::function<void(MovedSocket)>& adopt);
  std::unique_ptr<HandoverChannel> channel_;
  std::chrono::milliseconds timeout_;
  bool connectionsFollow_ = false;
  std::thread connectionReceiver_;
};

}  // namespace codestats::host::upgrade
