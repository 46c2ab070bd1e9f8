// The public listener's connection handling: one epoll thread owns every idle or reading
// connection, so a keep-alive connection costs no thread while it waits. For each request
// head it reads (http/RequestHead), the Delegate decides:
//
//   fast lane  - a plain request to a batch route: the body is read here, the request goes
//                to the route's BatchQueue, and the call's thread writes the response and
//                re-arms the connection. No thread switch per request besides the call's.
//   hand-off   - everything else (pages, chunked bodies, 100-continue, upgrades, malformed
//                input): a request thread runs Poco's HTTP server code on the connection,
//                starting with the bytes read so far (http/HandoffSocket), exactly as the
//                thread-per-connection server did; when Poco waits for the next request
//                the connection comes back here.
//
// A connection belongs to one party at a time (this thread, a batch call, a request
// thread), so its bytes are never read or written by two threads at once and responses
// stay in request order. Deadlines while the loop reads: the head within
// http.header_timeout_ms (+ the keep-alive timeout after a response), the fast lane's body
// within http.body_timeout_ms; past one the connection is closed, as before. A connection
// closed after a response lingers (up to 2 s) so that unread request bytes do not turn the
// close into a reset that can overtake the response.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <Poco/Net/StreamSocket.h>

#include "http/connection_handover.hpp"
#include "http/request_head.hpp"

namespace codestats::host {

class EventServer {
 public:
  struct Connection;
  using ConnectionPtr = std::shared_ptr<Connection>;

  class Delegate {
   public:
    virtual ~Delegate() = default;
    // A complete head on the fast lane's terms: true when the loop should read its body and
    // offer the request to takeFast; false hands the request off now.
    virtual bool wantsFast(const RequestHead& head) = 0;
    // The whole request: true when the delegate took it (and answers with respond()); false
    // hands it off (e.g. the route went away while the body arrived).
    virtual bool takeFast(const ConnectionPtr& conn, const RequestHead& head, std::string_view body) = 0;
    // Runs Poco's HTTP server on a handed-off connection (on a request thread); true when a
    // handler took the socket over (WebSocket upgrade).
    virtual bool serve(const Poco::Net::StreamSocket& socket) = 0;
    // A head that is not HTTP (RequestHead's Malformed): answer 400 with respond(), the
    // connection to be closed.
    virtual void refuseMalformed(const ConnectionPtr& conn, const char* reason) = 0;
    // Counted when a deadline closes a connection.
    virtual void slowClientClosed() = 0;
    // Counted when a request is dropped because every request thread is busy, maxQueued
    // requests wait for one, and it waited past its head deadline (or maxDeferred wait).
    virtual void overloadClosed() = 0;
  };

  struct Options {
    std::string host;
    int port = 0;
    int64_t headerTimeoutMs = 10000;
    int64_t bodyTimeoutMs = 60000;
    int64_t keepAliveTimeoutMs = 15000;
    int64_t maxBodyBytes = 1 << 20;
    size_t requestThreads = 128;  // at most this many handed-off requests at once
    size_t maxQueued = 512;       // handed-off requests waiting for a thread; more wait unread
    size_t maxDeferred = 65536;   // ... up to this many (and their head deadline); more are closed
    int64_t drainMs = 2000;       // stop(): how long open connections may still bring a request
    int inheritedListenFd = -1;   // a listening socket to use instead of binding (host upgrade)
  };

  EventServer(Options options, Delegate& delegate);
  ~EventServer();  // stops, then waits for request threads
  EventServer(const EventServer&) = delete;
  EventServer& operator=(const EventServer&) = delete;

  void start();
  // Drains, then stops: the connections waiting in the listen queue are taken, the listening
  // socket is closed (a new connection is refused, so a proxy may send the request to
  // another host), and the open connections are served for up to drainMs, each closed
  // after its next answer (Connection: close). Then idle connections close (or, with
  // handIdleConnectionsTo, have moved to a successor already); busy ones end after their
  // request.
  void stop();
  // True while stop() drains: answers end their connection.
  bool draining() const { return draining_.load(std::memory_order_acquire); }
  uint16_t port() const { return port_; }

  // Host upgrade: the listening socket the successor gets a copy of, and taking (no more)
  // connections from it while the successor takes them too. Both return once the loop
  // thread did it. stop() then closes this process's copy only.
  int listenFd() const { return listenFd_; }
  void pauseAccepting();
  void resumeAccepting();

  // Host upgrade, the connections themselves: one that waits for its next request (or holds
  // part of one) moves to the successor with the bytes read from it so far.
  struct IdleConnection {
    int fd = -1;  // borrowed from the server that offers it; owned by the one that adopts it
    IdleConnectionState state;
  };
  // Sends connections from the front of the list to the successor and returns how many it
  // took (closed here then); fewer than all: the successor is gone, and the rest stay.
  using IdleConnectionSink = std::function<size_t(const std::vector<IdleConnection>&)>;
  // Before stop(): while this server drains, an idle connection goes to `sink` at once
  // instead of staying until the drain ends (where it would be closed unanswered: a client
  // that reused it at that moment got a reset), also one whose keep-alive answer was sent
  // before the drain began. Answers written during the drain still end their connection.
  void handIdleConnectionsTo(IdleConnectionSink sink);
  // The successor's side: serves a connection a predecessor handed over (takes `conn.fd`),
  // starting with its unread bytes; its deadlines start now, as after a response.
  void adopt(IdleConnection conn);

  // The fast lane's answer (any thread): `bytes` is the whole response. The connection
  // stays open for the next request when keepAlive.
  void respond(const ConnectionPtr& conn, std::string bytes, bool keepAlive);
  static const std::string& peerAddress(const Connection& conn);

 private:
  void bindListener();  // http.host:http.port, into listenFd_
  void loop();
  void accept();
  void onReadable(const ConnectionPtr& c);
  void onWritable(const ConnectionPtr& c);
  void process(const ConnectionPtr& c);  // parses what was read; the loop owns c
  void handOff(const ConnectionPtr& c);
  void enqueueLocked(const ConnectionPtr& c);  // handOffMu_ held
  void drainDeferred();                        // loop thread: deferred hand-offs into the queue
  void runHandOff(const ConnectionPtr& c);
  void rearm(const ConnectionPtr& c, bool forWrite);
  void waitForNext(Connection& c);
  void close(const ConnectionPtr& c);
  // After a response that ends the connection: our end is sent, what the client still sends
  // is dropped until its end (or a bound), then the descriptor closes (a lingering close).
  void closeAfterResponse(const ConnectionPtr& c);
  void onLingering(const ConnectionPtr& c);
  void sweep();
  void startDrain();
  void handOverIdle();                       // loop thread, while draining: idle connections to idleSink_
  bool drained(int64_t nowMs) const;         // the drain may end: nothing open, or its time is up
  bool post(std::function<void()> fn);       // runs fn on the loop thread; false once it stopped
  void runOnLoop(std::function<void()> fn);  // post() and wait for it (or run here when stopped)
  void drainMailbox();

  Options options_;
  Delegate& delegate_;
  int listenFd_ = -1, epollFd_ = -1, wakeFd_ = -1;
  uint16_t port_ = 0;
  std::thread loop_;
  std::unordered_map<int, ConnectionPtr> conns_;  // loop thread only

  std::mutex mailboxMu_;
  std::vector<std::function<void()>> mailbox_;
  bool running_ = false;         // guarded by mailboxMu_: the loop takes posts
  bool drainRequested_ = false;  // guarded by mailboxMu_
  std::atomic<bool> draining_{false};
  int64_t drainUntilMs_ = 0;                // loop thread only
  bool acceptPaused_ = false;               // loop thread only
  IdleConnectionSink idleSink_;             // loop thread only; empty: idle connections stay for the drain
  std::atomic<bool> handsOverIdle_{false};  // idleSink_ is set (read by answering threads)

  // request threads for hand-offs (grown on demand up to options_.requestThreads)
  void requestThread();
  std::mutex handOffMu_;
  std::condition_variable handOffCv_;
  std::deque<ConnectionPtr> handOffs_;
  std::atomic<size_t> handOffsWaiting_{0};  // handOffs_.size(), readable without the lock
  std::vector<std::thread> requestThreads_;
  size_t idleRequestThreads_ = 0;
  std::deque<ConnectionPtr> deferred_;      // loop thread only (see handOff)
  std::atomic<size_t> deferredWaiting_{0};  // deferred_.size(), for the request threads
  std::atomic<bool> drainPosted_{false};
  bool stopping_ = false;
};

}  // namespace codestats::host
