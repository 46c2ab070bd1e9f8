// The running host's side of an upgrade (`codestatsctl upgrade`, SIGUSR2): starts the new
// binary with the same arguments and a handover socket, and walks it through taking over:
//
//   new: hello              (its database is open)
//   old: listeners          the public and admin listening sockets (SCM_RIGHTS)
//        pauses its event consumers (cursors written), exports every module's state
//   old: state... states-end
//   new: ready              modules loaded with that state, serving on the listeners
//   old: stops accepting; detaches its WebSockets
//   old: sockets... sockets-end
//   new: done               sockets adopted, event consumers running from the old cursors
//   old: http-connections... http-connections-end
//                           while it drains: its idle keep-alive connections (only when the
//                           new host said it takes them, handover_messages.hpp)
//
// Until `done` the old host can go back: on any failure or timeout it kills the new
// process, resumes accepting and its event consumers, and keeps serving. After `done` it
// drains its HTTP connections, handing idle ones over, and exits (Host::run).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "upgrade/handover_messages.hpp"

namespace codestats::host::upgrade {

class HandoverChannel;

struct UpgradeHooks {
  std::vector<int> listeners;                             // public, admin (they stay open here)
  std::function<std::vector<std::string>()> pauseEvents;  // returns the modules paused
  std::function<void(const std::vector<std::string>&)> resumeEvents;
  std::function<std::vector<ModuleState>()> exportStates;
  std::function<void()> pauseAccepting, resumeAccepting;
  std::function<std::vector<MovedSocket>()> detachSockets;  // the caller closes nothing
};

struct UpgradeOutcome {
  int httpStatus = 200;  // 200 done, 409 already running or handed over, 422 bad binary, 502 failed
  std::string error;
  std::string binary;
  pid_t oldPid = 0, newPid = 0;
  double durationMs = 0;      // start of the new process to `done`
  double eventsPausedMs = 0;  // event consumers paused (no event delivered on either host)
  size_t socketsMoved = 0;
  std::string toJson() const;
};

class HostUpgrade {
 public:
  // args: the host's command line arguments (without the program name)
  HostUpgrade(std::vector<std::string> args, std::string runningBinary, std::chrono::milliseconds timeout,
              UpgradeHooks hooks);
  ~HostUpgrade();

  // binary empty: the running binary's path (which now holds whatever was installed there).
  UpgradeOutcome run(const std::string& binary);
  // The new host took over: this one drains and exits.
  bool handedOver() const { return handedOver_.load(); }
  // Shutdown while an upgrade runs (SIGTERM meanwhile): breaks its hand-over socket, so that
  // run() ends at once (the new host is killed unless it already took over), and waits for
  // run() to return. Later runs are refused.
  void cancelAndWait();

  // After the hand-over, while this host drains: the new host takes idle HTTP keep-alive
  // connections (both are of a version that moves them).
  bool successorTakesConnections() const { return successor_ != nullptr; }
  // Sends connections from the front of `conns` (their descriptors stay open here) and
  // returns how many went; fewer: the new host is gone or stopped reading (a send waits at
  // most a second), and none go from then on. Called from one thread at a time.
  size_t sendConnections(const std::vector<MovedSocket>& conns);
  // The drain ended: tells the new host that no more come, and closes the channel.
  void endConnections();

 private:
  pid_t spawn(const std::string& binary, int childEnd);
  std::vector<std::string> args_;
  std::string runningBinary_;
  std::chrono::milliseconds timeout_;
  UpgradeHooks hooks_;
  std::atomic<bool> running_{false}, handedOver_{false};
  std::mutex mu_;  // guards channelFd_ and cancelled_
  std::condition_variable idle_;
  int channelFd_ = -1;  // the running upgrade's hand-over socket
  bool cancelled_ = false;
  std::unique_ptr<HandoverChannel> successor_;  // kept after `done` for the HTTP connections
  size_t connectionsSent_ = 0;
};

}  // namespace codestats::host::upgrade
