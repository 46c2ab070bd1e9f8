// The public HTTP listener: an epoll loop (http/EventServer) whose delegate is the event-loop
// lane (http/EventLoopLane: plain requests to batch routes are answered there), and the full
// path (http/PocoLane: every other request, in Poco's HTTP server code), in front of the
// module routes. This class only puts them together and starts and stops them; what both
// lanes share is http/LaneContext.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "http/event_server.hpp"
#include "http/poco_lane.hpp"

namespace codestats::host {

class RouteLookup;
class Metrics;
class ConnectionDeadlines;
class Readiness;
struct HostConfig;

class PublicServer {
 public:
  // routes: the module routes (runtime/ModuleTable); liveSocket may be empty (no live-update
  // socket endpoint then); readiness null: /readyz answers like /healthz
  // inheritedListenFd: the listening socket a host upgrade passed (-1: bind http.host:http.port)
  PublicServer(const HostConfig& config, const RouteLookup& routes, Metrics& metrics, LiveSocketAccept liveSocket,
               Readiness* readiness = nullptr, int inheritedListenFd = -1);
  ~PublicServer();
  void start();
  void stop();
  uint16_t port() const;
  // Host upgrade (http/EventServer says how)
  int listenFd() const { return server_->listenFd(); }
  void pauseAccepting() { server_->pauseAccepting(); }
  void resumeAccepting() { server_->resumeAccepting(); }
  void handIdleConnectionsTo(EventServer::IdleConnectionSink sink) { server_->handIdleConnectionsTo(std::move(sink)); }
  void adopt(EventServer::IdleConnection conn) { server_->adopt(std::move(conn)); }

 private:
  std::unique_ptr<ConnectionDeadlines> deadlines_;  // outlives server_
  Poco::Net::HTTPRequestHandlerFactory::Ptr fullPath_;
  std::unique_ptr<EventServer::Delegate> eventLoopLane_;  // outlives server_
  std::unique_ptr<EventServer> server_;
};

}  // namespace codestats::host
