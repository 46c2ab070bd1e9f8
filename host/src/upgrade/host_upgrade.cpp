#include "upgrade/host_upgrade.hpp"

#include <Poco/JSON/Object.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "upgrade/handover_channel.hpp"

extern char** environ;

namespace codestats::host::upgrade {

namespace {

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Why the new process ended, if it did (waits up to a second for it to).
std::string exitReason(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return "it exited with status " + std::to_string(WEXITSTATUS(status));
      if (WIFSIGNALED(status)) return std::string("it was killed by signal ") + ::strsignal(WTERMSIG(status));
      return "it ended";
    }
    if (r < 0) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

// How long a send of HTTP connections may wait for the new host to read (it reads them on a
// thread of its own as they come): longer means it is stuck, and this host's drain, which
// sends them from its event loop, must stay bounded.
constexpr std::chrono::milliseconds kConnectionSendTimeout{1000};

void killAndReap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::string UpgradeOutcome::toJson() const {
  Poco::JSON::Object o;
  if (!error.empty()) o.set("error", error);
  o.set("binary", binary);
  o.set("old_pid", static_cast<int>(oldPid));
  if (newPid) o.set("new_pid", static_cast<int>(newPid));
  if (httpStatus == 200) {
    o.set("duration_ms", durationMs);
    o.set("events_paused_ms", eventsPausedMs);
    o.set("sockets_moved", static_cast<uint64_t>(socketsMoved));
  }
  std::ostringstream s;
  o.stringify(s);
  return s.str();
}

HostUpgrade::HostUpgrade(std::vector<std::string> args, std::string runningBinary, std::chrono::milliseconds timeout,
                         UpgradeHooks hooks)
    : args_(std::move(args)), runningBinary_(std::move(runningBinary)), timeout_(timeout), hooks_(std::move(hooks)) {}

HostUpgrade::~HostUpgrade() = default;

pid_t HostUpgrade::spawn(const std::string& binary, int childEnd) {
  std::vector<std::string> argv{binary};
  argv.insert(argv.end(), args_.begin(), args_.end());
  argv.push_back("--handover-fd");
  argv.push_back("3");
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, childEnd, 3);  // clears close-on-exec on fd 3
  // Nothing else of this process leaks into the new one (Poco's sockets are not
  // close-on-exec): a client connection held by it would never see its end.
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGUSR2);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, binary.c_str(), &actions, &attr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw HandoverError("cannot start " + binary + ": " + std::strerror(rc));
  return pid;
}

void HostUpgrade::cancelAndWait() {
  std::unique_lock lock(mu_);
  cancelled_ = true;
  if (channelFd_ >= 0) ::shutdown(channelFd_, SHUT_RDWR);  // the channel's reads and writes fail now
  idle_.wait(lock, [this] { return !running_.load(); });
}

UpgradeOutcome HostUpgrade::run(const std::string& requested) {
  UpgradeOutcome out;
  out.oldPid = ::getpid();
  out.binary = requested.empty() ? runningBinary_ : requested;
  if (handedOver_) {
    out.httpStatus = 409;
    out.error = "this host has handed over to its successor";
    return out;
  }
  if (running_.exchange(true)) {
    out.httpStatus = 409;
    out.error = "an upgrade is already in progress";
    return out;
  }
  struct Done {
    HostUpgrade& self;
    ~Done() {
      std::lock_guard lock(self.mu_);
      self.channelFd_ = -1;
      self.running_ = false;
      self.idle_.notify_all();
    }
  } done{*this};
  {
    std::lock_guard lock(mu_);
    if (cancelled_) {
      out.httpStatus = 409;
      out.error = "this host is shutting down";
      return out;
    }
  }

  if (::access(out.binary.c_str(), X_OK) != 0) {
    out.httpStatus = 422;
    out.error = "cannot execute " + out.binary + ": " + std::strerror(errno);
    return out;
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    out.httpStatus = 502;
    out.error = std::string("socketpair: ") + std::strerror(errno);
    return out;
  }
  // Above 3, so that dup2(childEnd, 3) in the child is a real copy that drops close-on-exec.
  int childEnd = ::fcntl(pair[1], F_DUPFD_CLOEXEC, 10);
  ::close(pair[1]);
  auto channel = std::make_unique<HandoverChannel>(pair[0]);
  {
    std::lock_guard lock(mu_);
    channelFd_ = pair[0];
    if (cancelled_) ::shutdown(channelFd_, SHUT_RDWR);  // cancelled since the check above
  }

  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout_;
  auto left = [&] {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return std::max(ms, std::chrono::milliseconds(1));
  };
  pid_t child = 0;
  std::vector<std::string> paused;
  bool eventsPaused = false, acceptingPaused = false, takesConnections = false;
  std::chrono::steady_clock::time_point pausedAt;
  try {
    child = spawn(out.binary, childEnd);
    ::close(childEnd);
    childEnd = -1;
    out.newPid = child;
    spdlog::info("[upgrade] started {} as pid {}", out.binary, child);

    channel->expect("hello", left());
    channel->send("listeners", {}, hooks_.listeners);
    // From here until the new host's consumers start, no event is delivered on either
    // host, so each module's successor starts exactly where it stopped.
    pausedAt = std::chrono::steady_clock::now();
    paused = hooks_.pauseEvents();
    eventsPaused = true;
    for (const auto& s : hooks_.exportStates()) channel->send("state", encodeModuleState(s));
    channel->send("states-end");
    takesConnections = channel->expect("ready", left()).body.find(kHttpConnectionsFollow) != std::string::npos;

    hooks_.pauseAccepting();
    acceptingPaused = true;
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (childEnd >= 0) ::close(childEnd);
    if (child > 0) {
      std::string ended = exitReason(child);
      if (ended.empty()) killAndReap(child);
      else why += " (" + ended + ")";
    }
    if (acceptingPaused) hooks_.resumeAccepting();
    if (eventsPaused) hooks_.resumeEvents(paused);
    out.httpStatus = 502;
    out.error = (child > 0 ? "the new host (pid " + std::to_string(child) + ")" : std::string("the new host")) +
                " did not take over, this one keeps serving: " + why;
    spdlog::error("[upgrade] {}", out.error);
    return out;
  }

  // Committed: the new host serves. Sockets that fail to reach it are closed (their
  // clients reconnect, to the new host).
  try {
    std::vector<MovedSocket> sockets = hooks_.detachSockets();
    for (size_t from = 0; from < sockets.size(); from += HandoverChannel::kMaxFds) {
      size_t n = std::min(HandoverChannel::kMaxFds, sockets.size() - from);
      std::vector<int> fds;
      for (size_t i = from; i < from + n; ++i) fds.push_back(sockets[i].fd);
      channel->send("sockets", encodeSocketStates(sockets, from, n), fds);
    }
    for (auto& s : sockets) ::close(s.fd);
    out.socketsMoved = sockets.size();
    channel->send("sockets-end", takesConnections ? kHttpConnectionsFollow : std::string_view());
    channel->expect("done", left());
    if (takesConnections) {
      channel->setSendTimeout(kConnectionSendTimeout);
      successor_ = std::move(channel);
    }
  } catch (const std::exception& e) {
    std::string ended = exitReason(child);
    if (!ended.empty()) {
      // The new host died before it took over: serve again. The sockets already detached
      // are closed; their clients reconnect.
      hooks_.resumeAccepting();
      hooks_.resumeEvents(paused);
      out.httpStatus = 502;
      out.error = std::string("the new host failed while taking the WebSockets over (") + ended +
                  "), this one keeps serving: " + e.what();
      spdlog::error("[upgrade] {}", out.error);
      return out;
    }
    // The new host lives and has the listeners: it serves, so this one hands over anyway.
    spdlog::error("[upgrade] handing the WebSockets over failed: {}", e.what());
    out.error = std::string("the new host took over, but the WebSocket hand-over failed: ") + e.what();
  }
  out.eventsPausedMs = msSince(pausedAt);
  out.durationMs = msSince(started);
  handedOver_ = true;
  spdlog::info("[upgrade] pid {} took over in {:.0f} ms ({} WebSocket(s) moved, events paused {:.0f} ms)", child,
               out.durationMs, out.socketsMoved, out.eventsPausedMs);
  return out;
}

size_t HostUpgrade::sendConnections(const std::vector<MovedSocket>& conns) {
  if (!successor_) return 0;
  size_t sent = 0;
  try {
    while (sent < conns.size()) {
      const size_t n = std::min(HandoverChannel::kMaxFds, conns.size() - sent);
      std::vector<int> fds;
      for (size_t i = sent; i < sent + n; ++i) fds.push_back(conns[i].fd);
      successor_->send("http-connections", encodeSocketStates(conns, sent, n), fds);
      sent += n;
    }
  } catch (const std::exception& e) {
    // The rest stay with this host's drain; a message cut short is dropped by the new host.
    spdlog::warn("[upgrade] handing keep-alive connections over stopped: {}", e.what());
    successor_.reset();
  }
  connectionsSent_ += sent;
  return sent;
}

void HostUpgrade::endConnections() {
  if (!successor_) return;
  try {
    successor_->send("http-connections-end");
  } catch (const std::exception& e) {
    spdlog::warn("[upgrade] the new host did not hear that all keep-alive connections were sent: {}", e.what());
  }
  successor_.reset();
  spdlog::info("[upgrade] {} idle keep-alive connection(s) handed over while draining", connectionsSent_);
}

}  // namespace codestats::host::upgrade
