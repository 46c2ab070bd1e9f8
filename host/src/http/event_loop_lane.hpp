// The event-loop lane of the public port: the delegate of http/EventServer. Plain requests to
// batch routes are answered here without a request thread (the fast lane: parsed by the
// event loop, queued on the route's BatchQueue, answered from the thread that ran the call);
// every other connection is handed to the full path (http/PocoLane through
// ConnectionDeadlines::serve). Malformed heads get the host's 400.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>

#include "http/event_server.hpp"

namespace codestats::host {

struct LaneContext;
class ConnectionDeadlines;
struct SplitTarget;
struct RouteMatch;

class EventLoopLane : public EventServer::Delegate {
 public:
  // fullPath: the handler factory of handed-off connections (a PocoLane)
  EventLoopLane(std::shared_ptr<LaneContext> lanes, Poco::Net::HTTPServerParams::Ptr params,
                Poco::Net::HTTPRequestHandlerFactory::Ptr fullPath, ConnectionDeadlines& deadlines,
                std::atomic<int64_t>& slowClosed);
  void attach(EventServer* server) { server_ = server; }

  bool wantsFast(const RequestHead& head) override;
  bool takeFast(const EventServer::ConnectionPtr& conn, const RequestHead& head, std::string_view body) override;
  bool serve(const Poco::Net::StreamSocket& socket) override;
  void refuseMalformed(const EventServer::ConnectionPtr& conn, const char* reason) override;
  void slowClientClosed() override;
  void overloadClosed() override;

  struct FastItem;

 private:
  bool batchRoute(std::string_view method, const SplitTarget& split, RouteMatch& match);
  void answer(std::unique_ptr<FastItem> item);

  std::shared_ptr<LaneContext> s_;
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr fullPath_;
  ConnectionDeadlines& deadlines_;
  std::atomic<int64_t>& slowClosed_;
  EventServer* server_ = nullptr;
};

}  // namespace codestats::host
