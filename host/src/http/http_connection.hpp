// The request loop of one handed-off HTTP connection: Poco's HTTPServerConnection::run
// (the same session, request and response objects, keep-alive rule and 100-continue), with
// two differences: a request Poco cannot parse is answered by the handler factory's
// MalformedRequestResponder (the host's JSON 400 with a request id) instead of Poco's bare
// 400 without a body, and so is a head that the host's strict reader refuses
// (request_head.hpp: bare LFs, folded lines, ambiguous framing), which Poco would serve. Stopping the server is
// ConnectionDeadlines::abortAll (it shuts the sockets), not the factory's serverStopped event, which only Poco's own
// classes can follow.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>

#include <string>

namespace codestats::host {

// Implemented by a handler factory that answers unparsable requests itself.
class MalformedRequestResponder {
 public:
  virtual ~MalformedRequestResponder() = default;
  // The whole answer (it must close the connection), as bytes; `reason` is its error text.
  virtual std::string malformedResponse(const char* reason) = 0;
};

// Serves requests on `socket` until the connection ends (returns) or fails (throws).
void runHttpConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                       Poco::Net::HTTPRequestHandlerFactory::Ptr handlers);

}  // namespace codestats::host
