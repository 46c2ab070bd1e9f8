#include "http/public_server.hpp"

#include <Poco/Net/HTTPServerParams.h>

#include <chrono>

#include "config/config.hpp"
#include "http/connection_deadlines.hpp"
#include "http/event_loop_lane.hpp"
#include "http/lane_context.hpp"
#include "services/metrics.hpp"

namespace codestats::host {

PublicServer::PublicServer(const HostConfig& config, const RouteLookup& routes, Metrics& metrics,
                           LiveSocketAccept liveSocket, Readiness* readiness, int inheritedListenFd) {
  auto lanes = std::make_shared<LaneContext>(config, routes, metrics);
  auto params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);  // unlimited
  params->setKeepAliveTimeout(Poco::Timespan(config.httpKeepAliveTimeoutMs * 1000));
  params->setTimeout(Poco::Timespan(config.httpRequestTimeoutMs * 1000));
  params->setServerName("codestatsd");
  Poco::Net::HTTPServerParams::Ptr p(params);
  std::atomic<int64_t>& slowClosed = metrics.counter("codestats_http_slow_clients_closed_total");
  deadlines_ = std::make_unique<ConnectionDeadlines>(
      std::chrono::milliseconds(config.httpHeaderTimeoutMs), std::chrono::milliseconds(config.httpBodyTimeoutMs),
      std::chrono::milliseconds(config.httpKeepAliveTimeoutMs), slowClosed);
  fullPath_ = new PocoLane(lanes, std::move(liveSocket), readiness);
  auto eventLoopLane = std::make_unique<EventLoopLane>(lanes, p, fullPath_, *deadlines_, slowClosed);
  EventServer::Options o;
  o.host = config.httpHost;
  o.port = config.httpPort;
  o.headerTimeoutMs = config.httpHeaderTimeoutMs;
  o.bodyTimeoutMs = config.httpBodyTimeoutMs;
  o.keepAliveTimeoutMs = config.httpKeepAliveTimeoutMs;
  o.drainMs = config.httpDrainMs;
  o.maxBodyBytes = config.httpMaxBodyBytes;
  o.requestThreads = static_cast<size_t>(config.httpMaxThreads);
  o.maxQueued = static_cast<size_t>(config.httpMaxQueued);
  o.inheritedListenFd = inheritedListenFd;
  server_ = std::make_unique<EventServer>(o, *eventLoopLane);
  eventLoopLane->attach(server_.get());
  eventLoopLane_ = std::move(eventLoopLane);
}

PublicServer::~PublicServer() {
  stop();
  server_.reset();  // joins the request threads
}

void PublicServer::start() { server_->start(); }

void PublicServer::stop() {
  if (!server_) return;
  // Stop reading new requests, then abort the requests that run in Poco's code, as
  // HTTPServer::stopAll(true) did.
  server_->stop();
  deadlines_->abortAll();
}

uint16_t PublicServer::port() const { return server_->port(); }

}  // namespace codestats::host
