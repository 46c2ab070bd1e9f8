// The public HTTP listener: Poco HTTPServer (keep-alive, chunked bodies, 100-continue,
// malformed requests answered 400 by Poco) in front of the module router.
//
// Per request: a request id, target normalisation, the body limit (413 before any module
// runs), route lookup under a lease, the module call, and 500 with the request id when a
// module fails. Nothing module-made survives the call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <Poco/Net/HTTPRequestHandlerFactory.h>

namespace Poco {
class ThreadPool;
namespace Net {
class TCPServer;
}
}  // namespace Poco

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
  std::unique_ptr<Poco::ThreadPool> threads_;  // outlives server_
  std::unique_ptr<ConnectionDeadlines> deadlines_;  // outlives server_
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
};

}  // namespace codestatsd
