#include "http/HttpConnection.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>

#include <memory>

namespace codestatsd {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerSession;

namespace {

// Poco's own error answer: status line and Connection: close, no body.
void sendBareError(HTTPServerSession& session, HTTPResponse::HTTPStatus status) {
  Poco::Net::HTTPServerResponseImpl response(session);
  response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
  response.setStatusAndReason(status);
  response.setKeepAlive(false);
  response.send();
  session.setKeepAlive(false);
}

void answerMalformed(HTTPServerSession& session, Poco::Net::StreamSocket socket,
                     Poco::Net::HTTPRequestHandlerFactory& handlers) {
  auto* responder = dynamic_cast<MalformedRequestResponder*>(&handlers);
  if (!responder) {
    sendBareError(session, HTTPResponse::HTTP_BAD_REQUEST);
    return;
  }
  session.setKeepAlive(false);
  // Nothing of a response was written yet, and the session buffers no output.
  const std::string bytes = responder->malformedResponse();
  for (size_t sent = 0; sent < bytes.size();) {
    const int n = socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));  // throws on errors
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

void runHttpConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                       Poco::Net::HTTPRequestHandlerFactory::Ptr handlers) {
  const std::string server = params->getSoftwareVersion();
  HTTPServerSession session(socket, params);
  while (session.hasMoreRequests()) {
    try {
      Poco::Net::HTTPServerResponseImpl response(session);
      Poco::Net::HTTPServerRequestImpl request(response, session, params.get());  // reads the head
      response.setDate(Poco::Timestamp());
      response.setVersion(request.getVersion());
      response.setKeepAlive(params->getKeepAlive() && request.getKeepAlive() && session.canKeepAlive());
      if (!server.empty()) response.set("Server", server);
      try {
        std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(handlers->createRequestHandler(request));
        if (!handler) {
          sendBareError(session, HTTPResponse::HTTP_NOT_IMPLEMENTED);
          continue;
        }
        // The factory may have refused the request already (a status other than 200).
        if (request.getExpectContinue() && response.getStatus() == HTTPResponse::HTTP_OK) response.sendContinue();
        handler->handleRequest(request, response);
        session.setKeepAlive(params->getKeepAlive() && response.getKeepAlive() && session.canKeepAlive());
      } catch (const Poco::Exception&) {
        if (!response.sent()) {
          try {
            sendBareError(session, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
          } catch (...) {
          }
        }
        throw;
      }
    } catch (const Poco::Net::NoMessageException&) {
      break;  // the client closed between requests
    } catch (const Poco::Net::MessageException&) {
      answerMalformed(session, socket, *handlers);
    } catch (const Poco::Exception&) {
      if (session.networkException()) session.networkException()->rethrow();
      throw;
    }
  }
}

}  // namespace codestatsd
