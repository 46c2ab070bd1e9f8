#include "http/event_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <stdexcept>

#include "http/handoff_socket.hpp"

namespace codestats::host {

namespace {

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Deferred: a complete head waits, unread beyond it, for room in the hand-off queue.
enum State : int { Reading, Writing, Busy, HandedOff, Lingering, Deferred };

// How long a request thread keeps a handed-off connection after a response, waiting for its
// next request, before the connection goes back to the loop (HandoffSocket).
constexpr int kKeepAliveLingerMs = 20;

// A lingering close (after a response that ends the connection): what the client still sends
// is read and dropped for at most this long, or this many bytes, before the descriptor
// closes. Closing with unread bytes makes the kernel send a reset, which on a real network
// can overtake the response (a 413 seen as "connection reset").
constexpr int64_t kLingerCloseMs = 2000;
constexpr size_t kLingerCloseBytes = 8u << 20;

// The head's views moved with its bytes: from a buffer starting at `from` to one at `to`.
RequestHead rebased(const RequestHead& head, const char* from, const char* to) {
  auto move = [&](std::string_view v) { return std::string_view(to + (v.data() - from), v.size()); };
  RequestHead out = head;
  out.method = move(head.method);
  out.target = move(head.target);
  for (auto& [name, value] : out.headers) {
    name = move(name);
    value = move(value);
  }
  return out;
}

// The kernel's own bound on a listen backlog (net.core.somaxconn; larger values are cut to
// it): a storm of connections (10,000 clients within a second) waits in the accept queue
// instead of overflowing a smaller one.
int listenBacklog() {
  int backlog = 4096;
  if (std::FILE* f = std::fopen("/proc/sys/net/core/somaxconn", "r")) {
    if (std::fscanf(f, "%d", &backlog) != 1 || backlog < 128) backlog = 4096;
    std::fclose(f);
  }
  return backlog;
}

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

}  // namespace

struct EventServer::Connection {
  explicit Connection(int f, std::string peer) : fd(f), peerIp(std::move(peer)) {}
  ~Connection() { ::close(fd); }
  const int fd;
  const std::string peerIp;
  std::string in;   // read, not yet consumed
  std::string out;  // to write (state Writing)
  bool closeAfterWrite = false;
  std::atomic<int> state{Reading};
  std::atomic<int64_t> deadlineMs{0};   // Reading: the head (or fast body) must be complete by then
  std::atomic<int64_t> idleUntilMs{0};  // Reading after a response: closed if no byte came by then
  bool awaitingBody = false;            // the fast lane waits for this connection's body
  bool peerClosed = false;              // the client sent its end: nothing more will come
  size_t lingerBytes = 0;               // Lingering: bytes dropped so far
};

const std::string& EventServer::peerAddress(const Connection& conn) { return conn.peerIp; }

EventServer::EventServer(Options options, Delegate& delegate) : options_(std::move(options)), delegate_(delegate) {
  if (options_.inheritedListenFd >= 0) {
    listenFd_ = options_.inheritedListenFd;
    ::fcntl(listenFd_, F_SETFD, FD_CLOEXEC);
    ::fcntl(listenFd_, F_SETFL, ::fcntl(listenFd_, F_GETFL) | O_NONBLOCK);
  } else {
    bindListener();
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  epollFd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epollFd_ < 0 || wakeFd_ < 0) fail("epoll");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listenFd_;
  ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, listenFd_, &ev);
  ev.data.fd = wakeFd_;
  ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
}

void EventServer::bindListener() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(options_.port);
  if (int rc = ::getaddrinfo(options_.host.c_str(), service.c_str(), &hints, &res); rc != 0)
    throw std::runtime_error("cannot resolve http.host '" + options_.host + "': " + gai_strerror(rc));
  listenFd_ = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) {
    ::freeaddrinfo(res);
    fail("socket");
  }
  int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listenFd_, res->ai_addr, res->ai_addrlen) != 0) {
    ::freeaddrinfo(res);
    const int e = errno;
    ::close(listenFd_);
    errno = e;
    fail("cannot listen on " + options_.host + ":" + service);
  }
  ::freeaddrinfo(res);
  if (::listen(listenFd_, listenBacklog()) != 0) fail("listen");
}

EventServer::~EventServer() {
  stop();
  {
    std::lock_guard lock(handOffMu_);
    stopping_ = true;
  }
  handOffCv_.notify_all();
  for (auto& t : requestThreads_) t.join();
  if (listenFd_ >= 0) ::close(listenFd_);
  ::close(epollFd_);
  ::close(wakeFd_);
}

void EventServer::start() {
  {
    std::lock_guard lock(mailboxMu_);
    running_ = true;
  }
  loop_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "http-loop");
    loop();
  });
}

void EventServer::stop() {
  {
    std::lock_guard lock(mailboxMu_);
    if (!running_) {
      if (loop_.joinable()) loop_.join();
      return;
    }
    drainRequested_ = true;  // the loop drains, then clears running_
  }
  uint64_t one = 1;
  (void)!::write(wakeFd_, &one, sizeof one);
  if (loop_.joinable()) loop_.join();
}

void EventServer::runOnLoop(std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  if (!post([fn, done] {
        fn();
        done->set_value();
      })) {
    fn();  // the loop stopped: nothing else touches its state
    return;
  }
  finished.wait();
}

void EventServer::pauseAccepting() {
  runOnLoop([this] {
    if (acceptPaused_ || listenFd_ < 0) return;
    ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, listenFd_, nullptr);
    acceptPaused_ = true;
  });
}

void EventServer::resumeAccepting() {
  runOnLoop([this] {
    if (!acceptPaused_ || listenFd_ < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listenFd_;
    ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, listenFd_, &ev);
    acceptPaused_ = false;
  });
}

bool EventServer::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mailboxMu_);
    if (!running_) return false;
    mailbox_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  (void)!::write(wakeFd_, &one, sizeof one);
  return true;
}

void EventServer::drainMailbox() {
  uint64_t n;
  (void)!::read(wakeFd_, &n, sizeof n);
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(mailboxMu_);
    work.swap(mailbox_);
  }
  for (auto& fn : work) fn();
}

void EventServer::loop() {
  std::vector<epoll_event> events(256);
  int64_t nextSweep = steadyMs() + 250;
  for (;;) {
    bool drainNow = false;
    {
      std::lock_guard lock(mailboxMu_);
      if (!running_) break;
      drainNow = drainRequested_ && !draining();
    }
    if (drainNow) startDrain();
    if (draining() && idleSink_) handOverIdle();
    if (draining() && drained(steadyMs())) {
      std::lock_guard lock(mailboxMu_);
      running_ = false;
      break;
    }
    const int n = ::epoll_wait(epollFd_, events.data(), static_cast<int>(events.size()), draining() ? 20 : 250);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listenFd_) {
        accept();
      } else if (fd == wakeFd_) {
        drainMailbox();
      } else {
        auto it = conns_.find(fd);
        if (it == conns_.end()) continue;  // closed by an earlier event of this round
        ConnectionPtr c = it->second;
        if (c->state == Writing) onWritable(c);
        else if (c->state == Reading) onReadable(c);
        else if (c->state == Lingering) onLingering(c);
      }
    }
    if (int64_t now = steadyMs(); now >= nextSweep) {
      sweep();
      nextSweep = now + 250;
    }
  }
  // Stopped: idle and reading connections close now; busy ones close when their request ends.
  if (listenFd_ >= 0) ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, listenFd_, nullptr);
  std::vector<std::function<void()>> late;
  {
    std::lock_guard lock(mailboxMu_);
    late.swap(mailbox_);
  }
  for (auto& fn : late) fn();
  for (auto& [fd, c] : conns_) ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
  conns_.clear();
  deferred_.clear();
}

void EventServer::startDrain() {
  // First, so that once a connection is refused every answer says Connection: close.
  draining_.store(true, std::memory_order_release);
  // What the kernel already accepted is served, not reset; unless a successor shares the
  // listening socket (accepting was paused for it), which serves those.
  if (!acceptPaused_) {
    accept();
    ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, listenFd_, nullptr);
  }
  ::close(listenFd_);  // from now on a connection is refused: a proxy may retry it elsewhere
  listenFd_ = -1;
  drainUntilMs_ = steadyMs() + options_.drainMs;
}

bool EventServer::drained(int64_t nowMs) const {
  if (nowMs >= drainUntilMs_) return true;
  // Idle keep-alive connections may still bring a request (a proxy's pooled connection):
  // they are kept until the time is up, and each is closed after its next answer. (During
  // an upgrade they are handed over instead, and the drain waits for busy ones only.)
  return conns_.empty();
}

void EventServer::handIdleConnectionsTo(IdleConnectionSink sink) {
  runOnLoop([this, sink = std::move(sink)]() mutable {
    idleSink_ = std::move(sink);
    handsOverIdle_.store(static_cast<bool>(idleSink_), std::memory_order_release);
  });
}

void EventServer::handOverIdle() {
  // Reading: between requests, or part of one read; no other thread touches the connection.
  std::vector<ConnectionPtr> idle;
  std::vector<IdleConnection> offered;
  for (auto& [fd, c] : conns_) {
    if (c->state != Reading) continue;
    idle.push_back(c);
    offered.push_back({c->fd, {c->peerIp, c->in}});
  }
  if (idle.empty()) return;
  const size_t taken = std::min(idleSink_(offered), idle.size());
  for (size_t i = 0; i < taken; ++i) close(idle[i]);  // the successor holds its own descriptor
  if (taken < idle.size()) {
    // The successor is gone: the rest drain here, as without one.
    idleSink_ = nullptr;
    handsOverIdle_.store(false, std::memory_order_release);
  }
}

void EventServer::adopt(IdleConnection conn) {
  const int fd = conn.fd;
  const bool posted = post([this, conn = std::move(conn)]() mutable {
    auto c = std::make_shared<Connection>(conn.fd, std::move(conn.state.peerIp));
    c->in = std::move(conn.state.unread);
    waitForNext(*c);  // as after a response: the keep-alive timeout, then the head's
    if (!c->in.empty()) c->idleUntilMs = 0;
    conns_.emplace(c->fd, c);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT | EPOLLRDHUP;
    ev.data.fd = c->fd;
    ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, c->fd, &ev);
    if (!c->in.empty()) process(c);  // half a request: wait for the rest (or take it, if it came)
  });
  if (!posted) ::close(fd);  // stopped
}

void EventServer::accept() {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    // Blocking sockets: Poco's code uses them as such after a hand-off; this loop reads and
    // writes with MSG_DONTWAIT.
    const int fd = ::accept4(listenFd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) spdlog::warn("[http] accept failed: {}", std::strerror(errno));
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char host[INET6_ADDRSTRLEN] = "";
    if (peer.ss_family == AF_INET)
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, host, sizeof host);
    else if (peer.ss_family == AF_INET6)
      ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, host, sizeof host);
    auto c = std::make_shared<Connection>(fd, host);
    c->deadlineMs = steadyMs() + options_.headerTimeoutMs;
    conns_.emplace(fd, c);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT | EPOLLRDHUP;
    ev.data.fd = fd;
    ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void EventServer::rearm(const ConnectionPtr& c, bool forWrite) {
  epoll_event ev{};
  ev.events = (forWrite ? EPOLLOUT : EPOLLIN | EPOLLRDHUP) | EPOLLONESHOT;
  ev.data.fd = c->fd;
  ::epoll_ctl(epollFd_, EPOLL_CTL_MOD, c->fd, &ev);
}

void EventServer::close(const ConnectionPtr& c) {
  ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, c->fd, nullptr);  // before the last descriptor goes
  conns_.erase(c->fd);
}

void EventServer::closeAfterResponse(const ConnectionPtr& c) {
  if (::shutdown(c->fd, SHUT_WR) != 0) {
    close(c);
    return;
  }
  c->state = Lingering;
  c->in.clear();
  c->deadlineMs = steadyMs() + kLingerCloseMs;
  c->idleUntilMs = 0;
  onLingering(c);
}

void EventServer::onLingering(const ConnectionPtr& c) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0 && (c->lingerBytes += static_cast<size_t>(n)) < kLingerCloseBytes) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      rearm(c, false);
      return;
    }
    close(c);  // the client's end (or an error, or enough dropped)
    return;
  }
}

void EventServer::onReadable(const ConnectionPtr& c) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c->in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n == 0 && !c->in.empty()) {
      // Half-closed after sending: what arrived is answered if it is a whole request.
      c->peerClosed = true;
      break;
    }
    close(c);  // the client is gone (or the connection failed) between requests
    return;
  }
  if (!c->in.empty()) c->idleUntilMs = 0;
  process(c);
}

void EventServer::process(const ConnectionPtr& c) {
  RequestHead head;
  switch (parseRequestHead(c->in, head)) {
    case HeadStatus::Incomplete:
      if (c->peerClosed) close(c);  // half a head, and the client is done
      else rearm(c, false);
      return;
    case HeadStatus::HandOff: handOff(c); return;
    case HeadStatus::Malformed:  // answered, then closed (lingering: what follows is dropped)
      c->state = Busy;
      delegate_.refuseMalformed(c, head.error);
      return;
    case HeadStatus::Complete: break;
  }
  if (head.contentLength > options_.maxBodyBytes) {
    handOff(c);  // the full path answers 413
    return;
  }
  const size_t total = head.headLength + static_cast<size_t>(head.contentLength);
  if (c->in.size() < total) {
    if (!c->awaitingBody) {
      // Worth waiting for only on the fast lane; pages and the rest go to the full path now.
      if (!delegate_.wantsFast(head)) {
        handOff(c);
        return;
      }
      c->awaitingBody = true;
      c->deadlineMs = steadyMs() + options_.bodyTimeoutMs;
    }
    // A body shorter than its Content-Length when the client ends is a truncated request:
    // dropped, never handed to a module.
    if (c->peerClosed) close(c);
    else rearm(c, false);
    return;
  }
  c->awaitingBody = false;
  c->deadlineMs = 0;
  c->idleUntilMs = 0;
  // The request leaves the buffer before the delegate sees it: once it is queued, its
  // answer may come (and read c->in) on another thread at any moment.
  std::string request = c->in.substr(0, total);
  const RequestHead own = rebased(head, c->in.data(), request.data());
  c->in.erase(0, total);
  c->state = Busy;
  if (!delegate_.takeFast(c, own, std::string_view(request).substr(own.headLength))) {
    c->state = Reading;
    c->in.insert(0, request);
    handOff(c);
  }
}

void EventServer::respond(const ConnectionPtr& c, std::string bytes, bool keepAlive) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(c->fd, bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EAGAIN (the loop writes the rest) or the client is gone
    }
  }
  // Stopping: this answer ends the connection; unless idle connections go to a successor,
  // which then serves the next request of one this answer promised to keep open.
  if (draining() && !handsOverIdle_.load(std::memory_order_acquire)) keepAlive = false;
  if (sent == bytes.size() && keepAlive && c->in.empty()) {
    // The common case, without waking the loop: wait for the next request.
    std::lock_guard lock(mailboxMu_);
    if (running_) {
      waitForNext(*c);
      c->state = Reading;
      rearm(c, false);
      return;
    }
  }
  bytes.erase(0, sent);
  auto finish = [this, c, rest = std::move(bytes), keepAlive]() mutable {
    if (!conns_.count(c->fd)) return;
    if (!rest.empty()) {
      c->out = std::move(rest);
      c->closeAfterWrite = !keepAlive;
      c->deadlineMs = steadyMs() + options_.bodyTimeoutMs;  // a client that stopped reading
      c->state = Writing;
      rearm(c, true);
      return;
    }
    if (!keepAlive) {
      closeAfterResponse(c);
      return;
    }
    c->state = Reading;
    waitForNext(*c);
    process(c);  // pipelined bytes, or wait for more
  };
  post(std::move(finish));  // stopped: the connection closes with its last reference
}

// After a response: the connection may idle for the keep-alive timeout (then it is closed,
// as Poco's keep-alive wait did), and the next head must be complete within that plus
// http.header_timeout_ms (ConnectionDeadlines' rule).
void EventServer::waitForNext(Connection& c) {
  const int64_t now = steadyMs();
  c.idleUntilMs = now + options_.keepAliveTimeoutMs;
  c.deadlineMs = now + options_.keepAliveTimeoutMs + options_.headerTimeoutMs;
}

void EventServer::onWritable(const ConnectionPtr& c) {
  while (!c->out.empty()) {
    const ssize_t n = ::send(c->fd, c->out.data(), c->out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c->out.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      rearm(c, true);
      return;
    } else {
      close(c);
      return;
    }
  }
  if (c->closeAfterWrite) {
    closeAfterResponse(c);
    return;
  }
  c->state = Reading;
  waitForNext(*c);
  process(c);
}

void EventServer::sweep() {
  const int64_t now = steadyMs();
  std::vector<ConnectionPtr> late;
  std::vector<ConnectionPtr> idle;
  std::vector<ConnectionPtr> overloaded;
  for (auto& [fd, c] : conns_) {
    if (c->state == Lingering && now >= c->deadlineMs) idle.push_back(c);  // lingered long enough
    if (c->state == Deferred && c->deadlineMs != 0 && now >= c->deadlineMs) overloaded.push_back(c);
    if (c->state != Reading && c->state != Writing) continue;
    const int64_t idleUntil = c->idleUntilMs, d = c->deadlineMs;
    if (c->state == Reading && c->in.empty() && idleUntil != 0 && now >= idleUntil) idle.push_back(c);
    else if (d != 0 && now >= d) late.push_back(c);
  }
  for (auto& c : idle) close(c);  // an ordinary keep-alive timeout or the end of a lingering close
  for (auto& c : overloaded) {    // waited for a request thread past its head deadline
    delegate_.overloadClosed();
    close(c);
  }
  for (auto& c : late) {
    delegate_.slowClientClosed();  // a head, body or response that did not finish in time
    close(c);
  }
}

void EventServer::handOff(const ConnectionPtr& c) {
  {
    std::lock_guard lock(handOffMu_);
    if (handOffs_.size() < options_.maxQueued) {
      enqueueLocked(c);
      return;
    }
  }
  // Every request thread is busy and maxQueued requests wait: this one waits here, unread
  // (its client's further bytes stay in the socket buffers), until a thread takes a queued
  // request. Closing it, as before, lost clients of a connection storm that a moment later
  // would have been served (bench/channels.sh: 142 of 10,000 WebSocket clients). Bounded by
  // maxDeferred and by the connection's head deadline (sweep).
  if (deferred_.size() >= options_.maxDeferred) {
    delegate_.overloadClosed();
    close(c);
    return;
  }
  c->state = Deferred;
  if (c->deadlineMs == 0) c->deadlineMs = steadyMs() + options_.headerTimeoutMs;
  deferred_.push_back(c);
  deferredWaiting_.store(deferred_.size(), std::memory_order_relaxed);
}

void EventServer::enqueueLocked(const ConnectionPtr& c) {
  c->state = HandedOff;
  c->awaitingBody = false;
  c->deadlineMs = 0;
  handOffs_.push_back(c);
  handOffsWaiting_ = handOffs_.size();
  if (idleRequestThreads_ == 0 && requestThreads_.size() < options_.requestThreads)
    requestThreads_.emplace_back([this] { requestThread(); });
  else handOffCv_.notify_one();
}

void EventServer::drainDeferred() {
  drainPosted_.store(false, std::memory_order_relaxed);
  std::lock_guard lock(handOffMu_);
  while (!deferred_.empty() && handOffs_.size() < options_.maxQueued) {
    ConnectionPtr c = std::move(deferred_.front());
    deferred_.pop_front();
    auto it = conns_.find(c->fd);
    if (it != conns_.end() && it->second == c && c->state == Deferred) enqueueLocked(c);
  }
  deferredWaiting_.store(deferred_.size(), std::memory_order_relaxed);
}

void EventServer::requestThread() {
  pthread_setname_np(pthread_self(), "http-request");
  std::unique_lock lock(handOffMu_);
  for (;;) {
    ++idleRequestThreads_;
    handOffCv_.wait(lock, [&] { return stopping_ || !handOffs_.empty(); });
    --idleRequestThreads_;
    if (handOffs_.empty()) return;  // stopping
    ConnectionPtr c = std::move(handOffs_.front());
    handOffs_.pop_front();
    handOffsWaiting_ = handOffs_.size();
    lock.unlock();
    // Room in the queue: the loop moves deferred connections in (one post at a time).
    if (deferredWaiting_.load(std::memory_order_relaxed) > 0 && !drainPosted_.exchange(true))
      if (!post([this] { drainDeferred(); })) drainPosted_ = false;
    runHandOff(c);
    lock.lock();
  }
}

void EventServer::runHandOff(const ConnectionPtr& c) {
  bool again = false, detached = false;
  const int fd = ::dup(c->fd);
  if (fd >= 0) {
    auto* impl = new HandoffSocketImpl(fd, std::move(c->in), kKeepAliveLingerMs, &handOffsWaiting_, &draining_);
    c->in.clear();
    Poco::Net::StreamSocket socket(impl);  // owns impl (and fd); a hub may keep it
    try {
      detached = delegate_.serve(socket);
    } catch (const std::exception& e) {
      spdlog::debug("[http] connection ended: {}", e.what());
    }
    again = !detached && impl->wantsNextRequest();
  }
  post([this, c, again, detached] {
    if (!conns_.count(c->fd)) return;
    if (detached) {
      close(c);  // a handler owns the connection now (its duplicate keeps it open)
      return;
    }
    // Stopping: the answer was the connection's last (it said so, unless it was written
    // before the drain began: such a connection goes to the successor if there is one).
    if (!again || (draining() && !idleSink_)) {
      closeAfterResponse(c);
      return;
    }
    c->state = Reading;
    waitForNext(*c);
    rearm(c, false);
  });
}

}  // namespace codestats::host
