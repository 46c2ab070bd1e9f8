// The public HTTP listener: an epoll loop (http/EventServer) that answers plain requests to
// batch routes itself (the fast lane) and runs every other request through Poco's HTTP
// server code (keep-alive, chunked bodies, 100-continue, malformed requests answered 400),
// in front of the module router.
//
// Per request: a request id, target normalisation, the body limit (413 before any module
// runs), route lookup under a lease, the module call, and 500 with the request id when a
// module fails. Nothing module-made survives the call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "http/EventServer.hpp"

namespace codestatsd {

class ModuleTable;
class Metrics;
class ChannelHub;
class ConnectionDeadlines;
class Readiness;
struct HostConfig;

class PublicServer {
 public:
  // hub may be null (no live-update socket endpoint then); readiness null: /readyz
  // answers like /healthz
  PublicServer(const HostConfig& config, ModuleTable& modules, Metrics& metrics, ChannelHub* hub,
               Readiness* readiness = nullptr);
  ~PublicServer();
  void start();
  void stop();
  uint16_t port() const;

 private:
  std::unique_ptr<ConnectionDeadlines> deadlines_;  // outlives server_
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  std::unique_ptr<EventServer::Delegate> lanes_;  // outlives server_
  std::unique_ptr<EventServer> server_;
};

}  // namespace codestatsd
