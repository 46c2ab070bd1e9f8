// The host's WebSocket hub: owns every live-update socket, the Phoenix V1 and V2 wire
// formats (ws/phoenix_message), joins and their assigns, heartbeats, the topic index and broadcast fan-out. Modules
// only decide (through cs_channel_handlers) who may join what and what a join replies; so reloading the module that
// handles a topic drops no socket and no join.
//
// I/O is multiplexed with epoll on a few threads (not a thread per socket). Module calls for
// one connection run in order on the host worker pool, each under a lease. A client that
// stops reading fills only its own bounded send queue and is closed with 1013.
//
// Established sockets can move to another hub, in a successor process (detachAll, adopt;
// the state they carry is ws/socket_handover).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "util/log_limiter.hpp"
#include "ws/origin_policy.hpp"

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace codestats::host {

class ModuleTable;
class WorkerPool;
class Metrics;

struct HubLimits {
  size_t maxMessageBytes = 64 * 1024;  // larger client messages: close 1009
  size_t maxQueuedBytes = 1 << 20;     // per-connection send queue; overflow: close 1013
  size_t maxInbox = 256;               // client messages waiting for module calls; flood: close 1008
  size_t maxJoins = 100;               // topics per connection
  int64_t idleTimeoutMs = 60000;       // no frame at all for this long: close 1000
  int ioThreads = 2;
  int sendBufferBytes = 0;  // SO_SNDBUF per socket; 0 = kernel default
};

// One established socket handed over to another host (ChannelHub::detachAll): the caller
// owns `fd` from then on; `state` is ws/socket_handover's blob for ChannelHub::adopt.
struct DetachedSocket {
  int fd = -1;
  std::string state;
};

class ChannelHub {
 public:
  ChannelHub(HubLimits limits, ModuleTable& modules, WorkerPool& workers, Metrics& metrics);
  ~ChannelHub();  // closes every socket, joins the I/O threads
  ChannelHub(const ChannelHub&) = delete;
  ChannelHub& operator=(const ChannelHub&) = delete;

  // On the HTTP thread for GET /live_update_socket/websocket: asks the socket-connect
  // handler, performs the upgrade and hands the socket to an I/O thread. Answers the HTTP
  // request itself when it refuses (403) or the upgrade is malformed (400).
  void accept(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, const std::string& query,
              const std::string& remoteAddr);

  // Which pages may open sockets (ws/OriginPolicy); replaced on SIGHUP. Until it is set,
  // the request's Host header names the site.
  void setOriginPolicy(std::shared_ptr<const OriginPolicy> policy);

  void broadcast(std::string_view topic, std::string_view event, std::string_view payloadJson);
  bool push(uint64_t conn, std::string_view topic, std::string_view event, std::string_view payloadJson);

  size_t connections() const;
  void shutdown();

  // Moving established sockets to a successor host (issue #19; docs/channels.md, "Moving
  // sockets to a new host"). detachAll refuses further upgrades (503), stops reading and
  // writing every open socket, waits up to `timeout` for each one's queued module calls, and
  // returns the sockets that were idle with their state. Those whose calls are still running
  // get a normal close, 1012 "service restart"; those already closing keep their own close.
  // Broadcasts and pushes after it reach no moved socket. Not concurrently with shutdown().
  std::vector<DetachedSocket> detachAll(std::chrono::milliseconds timeout);
  // Takes ownership of `fd` and serves it with `state` under a new connection id: the same
  // joins (modules are not asked again), the unsent output first, the partial input fed to
  // the decoder. A state it cannot read: best-effort close 1011, fd closed, false.
  bool adopt(int fd, std::string_view state);

  struct Conn;
  struct IoThread;

 private:
  friend struct IoThread;
  void onMessage(const std::shared_ptr<Conn>& c, std::string text);  // on the worker pool, serial per conn
  void onClosed(const std::shared_ptr<Conn>& c);                     // I/O thread: remove and run leaves
  void send(const std::shared_ptr<Conn>& c, std::shared_ptr<const std::string> frame);
  void sendText(const std::shared_ptr<Conn>& c, const std::string& text);
  void close(const std::shared_ptr<Conn>& c, uint16_t code, std::string_view reason);
  void leaveAll(const std::shared_ptr<Conn>& c);
  std::vector<std::shared_ptr<Conn>> pauseAll(const std::vector<std::shared_ptr<Conn>>& conns);
  std::string release(const std::shared_ptr<Conn>& c, std::string unsentOutput);
  void resumeAndClose(const std::shared_ptr<Conn>& c);
  void refuseHandover(int fd, uint16_t code, std::string_view reason);
  bool originAllowed(const Poco::Net::HTTPServerRequest& req, const std::string& remoteAddr);

  HubLimits limits_;
  ModuleTable& modules_;
  WorkerPool& workers_;
  Metrics& metrics_;

  mutable std::mutex connsMu_;
  std::unordered_map<uint64_t, std::shared_ptr<Conn>> conns_;
  std::atomic<uint64_t> nextId_{1};

  mutable std::shared_mutex topicsMu_;
  std::unordered_map<std::string, std::unordered_set<uint64_t>> topics_;

  mutable std::mutex originMu_;
  std::shared_ptr<const OriginPolicy> origins_;
  LogLimiter originLog_{std::chrono::seconds(10)};

  std::vector<std::unique_ptr<IoThread>> io_;
  std::atomic<size_t> nextIo_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> handingOver_{false};  // detachAll ran: no more upgrades or adoptions
};

}  // namespace codestats::host
