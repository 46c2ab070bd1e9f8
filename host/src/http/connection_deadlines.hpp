// Slow-client protection for requests that run in Poco's HTTP code (the event loop's
// hand-offs; the loop keeps the same deadlines for what it reads itself). Poco's socket
// timeout applies to each read, so a client that trickles one header byte every few seconds
// (slowloris) would hold a request thread forever. Each connection here carries an absolute
// deadline instead:
//
//   accepted / response sent  -> the next request head must be complete within
//                                keep-alive timeout + http.header_timeout_ms
//   head complete             -> the body must be read within http.body_timeout_ms
//   body read                 -> no deadline while the module works
//   upgraded to WebSocket     -> detached: the hub owns the socket and its idle timeout
//
// One host thread checks the deadlines four times a second and shuts down the sockets
// that passed theirs. Request handlers report progress through the static calls, which
// find their connection in a thread-local (each connection runs on one thread).
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace codestats::host {

class ConnectionDeadlines {
 public:
  struct Conn {
    int fd = -1;
    std::atomic<int64_t> deadlineMs{0};  // steady clock; 0 = none
    bool detached = false;               // upgraded: the hub owns the socket now
  };

  ConnectionDeadlines(std::chrono::milliseconds header, std::chrono::milliseconds body,
                      std::chrono::milliseconds keepAlive, std::atomic<int64_t>& closedCounter);
  ~ConnectionDeadlines();
  ConnectionDeadlines(const ConnectionDeadlines&) = delete;
  ConnectionDeadlines& operator=(const ConnectionDeadlines&) = delete;

  // Runs the HTTP connection (http/HttpConnection) on `socket` on this thread under the deadlines, until it ends
  // (or its socket impl reports no next request). True when a handler took the socket over
  // (WebSocket upgrade: detach()).
  bool serve(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
             Poco::Net::HTTPRequestHandlerFactory::Ptr handlers);

  // The server stops: every connection served here (and any served later) has its socket
  // shut down, so its request loop ends; a module still working finds it closed.
  void abortAll();

  // Called from request handlers on the connection's thread.
  static void headReceived();
  static void bodyReceived();
  static void responseSent();
  static void detach();

  void add(Conn* c);
  void remove(Conn* c);

 private:
  void watch();
  static int64_t nowMs();

  std::chrono::milliseconds header_, body_, keepAlive_;
  std::atomic<int64_t>& closed_;
  std::mutex mu_;
  std::unordered_set<Conn*> conns_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool aborted_ = false;  // abortAll() ran
  std::thread watcher_;
};

}  // namespace codestats::host
