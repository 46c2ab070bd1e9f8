// The full path of the public port: every request the event loop does not answer itself
// (http/EventLoopLane) runs here, in Poco's HTTP server code on a request thread (the
// connection is handed off to runHttpConnection, http/HttpConnection). Per request: a
// request id, target normalisation, the host's own paths (/healthz, /readyz, the live-update
// socket), the body limit (413 before any module runs), route lookup under a lease, the
// module call (batch routes through their queue), and 500 with the request id when a module
// fails. Nothing module-made survives the call.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "http/http_connection.hpp"
#include "services/metrics.hpp"

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace codestats::host {

struct LaneContext;
class Readiness;

// Takes GET /live_update_socket/websocket over (ws/ChannelHub::accept): upgrades the
// connection or answers the request itself. Arguments: the request, its response, the query
// string and the client's address.
using LiveSocketAccept = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&,
                                            const std::string& query, const std::string& remoteAddr)>;

class PocoLane : public Poco::Net::HTTPRequestHandlerFactory, public MalformedRequestResponder {
 public:
  // liveSocket empty: no live-update socket endpoint; readiness null: /readyz answers like /healthz
  PocoLane(std::shared_ptr<LaneContext> lanes, LiveSocketAccept liveSocket, Readiness* readiness);

  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& req) override;
  std::string malformedResponse(const char* reason) override;

  struct State;  // what its handlers share

 private:
  std::shared_ptr<State> state_;
};

}  // namespace codestats::host
