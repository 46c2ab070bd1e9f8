#include "upgrade/predecessor_link.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "upgrade/handover_channel.hpp"

namespace codestats::host::upgrade {

PredecessorLink::PredecessorLink(int fd, std::chrono::milliseconds timeout)
    : channel_(std::make_unique<HandoverChannel>(fd)), timeout_(timeout) {}

PredecessorLink::~PredecessorLink() {
  if (!connectionReceiver_.joinable()) return;
  channel_->interrupt();  // its wait ends at once
  connectionReceiver_.join();
}

PredecessorLink::Start PredecessorLink::begin() {
  channel_->send("hello", std::to_string(::getpid()));
  Start start;
  HandoverMessage listeners = channel_->expect("listeners", timeout_);
  if (listeners.fds.size() != 2) {
    for (int fd : listeners.fds) ::close(fd);
    throw HandoverError("expected 2 listening sockets, got " + std::to_string(listeners.fds.size()));
  }
  start.httpFd = listeners.fds[0];
  start.adminFd = listeners.fds[1];
  for (;;) {
    HandoverMessage m = channel_->receive(timeout_);
    if (m.kind == "states-end") break;
    if (m.kind != "state") throw HandoverError("expected a module state, got '" + m.kind + "'");
    start.states.push_back(decodeModuleState(m.body));
  }
  return start;
}

std::vector<MovedSocket> PredecessorLink::ready() {
  channel_->send("ready", kHttpConnectionsFollow);
  std::vector<MovedSocket> sockets;
  try {
    receiveSockets(sockets);
  } catch (...) {
    for (auto& s : sockets) ::close(s.fd);
    throw;
  }
  return sockets;
}

void PredecessorLink::receiveSockets(std::vector<MovedSocket>& sockets) {
  for (;;) {
    HandoverMessage m = channel_->receive(timeout_);
    if (m.kind == "sockets-end") {
      connectionsFollow_ = m.body.find(kHttpConnectionsFollow) != std::string::npos;
      break;
    }
    if (m.kind != "sockets") {
      for (int fd : m.fds) ::close(fd);
      throw HandoverError("expected WebSockets, got '" + m.kind + "'");
    }
    std::vector<std::string> states;
    try {
      states = decodeSocketStates(m.body);
      if (states.size() != m.fds.size()) throw HandoverError("WebSocket states and descriptors differ in number");
    } catch (...) {
      for (int fd : m.fds) ::close(fd);
      throw;
    }
    for (size_t i = 0; i < states.size(); ++i) sockets.push_back(MovedSocket{m.fds[i], std::move(states[i])});
  }
}

void PredecessorLink::done() { channel_->send("done", std::to_string(::getpid())); }

void PredecessorLink::receiveConnections(std::function<void(MovedSocket)> adopt) {
  if (!connectionsFollow_ || connectionReceiver_.joinable()) return;
  connectionReceiver_ = std::thread([this, adopt = std::move(adopt)] {
    try {
      receiveConnectionsUntilEnd(adopt);
    } catch (const std::exception& e) {
      spdlog::warn("[host] receiving the previous host's keep-alive connections ended: {}", e.what());
    }
  });
}

void PredecessorLink::receiveConnectionsUntilEnd(const std::function<void(MovedSocket)>& adopt) {
  size_t adopted = 0;
  for (;;) {
    // The old host sends them within its drain (http.drain_ms); the upgrade's timeout is
    // only the bound for a host that hangs.
    HandoverMessage m = channel_->receive(timeout_);
    if (m.kind == "http-connections-end") break;
    std::vector<std::string> states;
    try {
      if (m.kind != "http-connections") throw HandoverError("expected HTTP connections, got '" + m.kind + "'");
      states = decodeSocketStates(m.body);
      if (states.size() != m.fds.size()) throw HandoverError("connection states and descriptors differ in number");
    } catch (...) {
      for (int fd : m.fds) ::close(fd);
      throw;
    }
    for (size_t i = 0; i < states.size(); ++i) adopt(MovedSocket{m.fds[i], std::move(states[i])});
    adopted += states.size();
  }
  spdlog::info("[host] {} idle keep-alive connection(s) taken over from the previous host", adopted);
}

void PredecessorLink::fail(const std::string& why) noexcept {
  try {
    channel_->send("error", why);
  } catch (...) {
  }
}

}  // namespace codestats::host::upgrade
