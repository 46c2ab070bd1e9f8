#include "http/http_connection.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>

#include <limits>
#include <memory>

#include "http/handoff_socket.hpp"
#include "http/request_head.hpp"
#include "http/server_session.hpp"

namespace codestats::host {

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
                     Poco::Net::HTTPRequestHandlerFactory& handlers, const char* reason) {
  auto* responder = dynamic_cast<MalformedRequestResponder*>(&handlers);
  if (!responder) {
    sendBareError(session, HTTPResponse::HTTP_BAD_REQUEST);
    return;
  }
  session.setKeepAlive(false);
  // Nothing of a response was written yet, and the session buffers no output.
  const std::string bytes = responder->malformedResponse(reason);
  for (size_t sent = 0; sent < bytes.size();) {
    const int n = socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));  // throws on errors
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
}

// What the host's strict reader finds wrong with the head Poco just read (nullptr: nothing).
// A head that is not complete was cut short by the end of the stream: Poco takes that for
// the end of the head.
const char* headProblem(HandoffSocketImpl* raw, const ServerSession& session) {
  if (!raw) return nullptr;
  RequestHead head;
  const std::string_view bytes = raw->headBytes(static_cast<size_t>(session.unread()));
  switch (parseRequestHead(bytes, head, std::numeric_limits<size_t>::max())) {
    case HeadStatus::Malformed: return head.error;
    case HeadStatus::Incomplete: return "Malformed request";
    default: return nullptr;
  }
}

constexpr const char* kMalformedRequest = "Malformed request";

}  // namespace

void runHttpConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                       Poco::Net::HTTPRequestHandlerFactory::Ptr handlers) {
  const std::string server = params->getSoftwareVersion();
  ServerSession session(socket, params);
  auto* raw = dynamic_cast<HandoffSocketImpl*>(socket.impl());
  while (session.hasMoreRequests()) {
    try {
      Poco::Net::HTTPServerResponseImpl response(session);
      if (raw) raw->beginHead(static_cast<size_t>(session.unread()));
      std::unique_ptr<Poco::Net::HTTPServerRequestImpl> reading;
      try {
        reading =
            std::make_unique<Poco::Net::HTTPServerRequestImpl>(response, session, params.get());  // reads the head
      } catch (const Poco::Net::MessageException&) {
        // Poco could not parse the head: the strict reader may say why.
        const char* problem = headProblem(raw, session);
        answerMalformed(session, socket, *handlers, problem ? problem : kMalformedRequest);
        continue;
      } catch (const Poco::SyntaxException&) {
        // Poco could not read the Content-Length (its body stream needs it).
        const char* problem = headProblem(raw, session);
        answerMalformed(session, socket, *handlers, problem ? problem : kMalformedRequest);
        continue;
      }
      if (const char* problem = headProblem(raw, session)) {
        answerMalformed(session, socket, *handlers, problem);
        continue;
      }
      Poco::Net::HTTPServerRequestImpl& request = *reading;
      response.setDate(Poco::Timestamp());
      response.setVersion(request.getVersion());
      // While the server drains, every answer ends its connection and says so (as the fast
      // lane's do): a connection kept alive would be closed unanswered when the drain ends.
      const bool draining = raw && raw->serverDraining();
      response.setKeepAlive(params->getKeepAlive() && request.getKeepAlive() && session.canKeepAlive() && !draining);
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
      answerMalformed(session, socket, *handlers, kMalformedRequest);
    } catch (const Poco::Exception&) {
      if (session.networkException()) session.networkException()->rethrow();
      throw;
    }
  }
}

}  // namespace codestats::host
