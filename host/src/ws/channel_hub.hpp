// The host's WebSocket hub: owns every live-update socket, the Phoenix V1 and V2 wire
// formats (ws/phoenix_message), joins and their assigns, heartbeats, the topic index and broadcast fan-out. Modules
// only decide (through cs_channel_handlers) who may join what and what a join replies; so reloading the module that
// handles a topic drops no socket and no join.
//
// I/O is multiplexed with epoll on a few threads (not a thread per socket). Module calls for
// one connection run in order on the host worker pool, each under a lease. A client that
// stops reading fills only its own bounded send queue and is closed with 1013.
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

  // TEMPORARY until the ws-handover branch lands
  struct DetachedSocket {
    int fd;
    std::string state;
  };
  std::vector<DetachedSocket> detachAll(std::chrono::milliseconds timeout);
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
};

}  // namespace codestats::host
