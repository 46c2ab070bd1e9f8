#include "http/ConnectionDeadlines.hpp"

#include "http/PollingSocket.hpp"

#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/TCPServerConnection.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

namespace codestatsd {

namespace {

struct ThreadState {
  ConnectionDeadlines* owner = nullptr;
  ConnectionDeadlines::Conn* conn = nullptr;
  int64_t headerMs = 0, bodyMs = 0, keepAliveMs = 0;
};
thread_local ThreadState tls;

class GuardedConnection : public Poco::Net::TCPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& s, ConnectionDeadlines& owner,
                    Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                    int64_t headerMs, int64_t bodyMs, int64_t keepAliveMs)
      : TCPServerConnection(s),
        owner_(owner),
        params_(std::move(params)),
        handlers_(std::move(handlers)),
        headerMs_(headerMs),
        bodyMs_(bodyMs),
        keepAliveMs_(keepAliveMs) {}

  void run() override { serveGuarded(socket(), owner_, params_, handlers_, headerMs_, bodyMs_, keepAliveMs_); }

  static bool serveGuarded(const Poco::Net::StreamSocket& socket, ConnectionDeadlines& owner,
                           Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                           int64_t headerMs, int64_t bodyMs, int64_t keepAliveMs) {
    ConnectionDeadlines::Conn conn;
    // Our own descriptor of the socket: Poco closes its descriptor when the session ends,
    // and the number could then be reused by another connection before we deregister.
    conn.fd = ::dup(socket.impl()->sockfd());
    conn.deadlineMs = steadyMs() + headerMs;
    if (conn.fd >= 0) owner.add(&conn);
    tls = ThreadState{&owner, &conn, headerMs, bodyMs, keepAliveMs};
    try {
      Poco::Net::HTTPServerConnection http(socket, params, handlers);
      http.run();
    } catch (const std::exception& e) {
      spdlog::debug("[http] connection ended: {}", e.what());
    }
    tls = ThreadState{};
    if (conn.fd >= 0) {
      owner.remove(&conn);
      ::close(conn.fd);
    }
    return conn.detached;
  }

  static int64_t steadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

 private:
  ConnectionDeadlines& owner_;
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  int64_t headerMs_, bodyMs_, keepAliveMs_;
};

class Factory : public Poco::Net::TCPServerConnectionFactory {
 public:
  Factory(ConnectionDeadlines& owner, Poco::Net::HTTPServerParams::Ptr params,
          Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, int64_t headerMs, int64_t bodyMs, int64_t keepAliveMs)
      : owner_(owner),
        params_(std::move(params)),
        handlers_(std::move(handlers)),
        headerMs_(headerMs),
        bodyMs_(bodyMs),
        keepAliveMs_(keepAliveMs) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& s) override {
    // Poco's keep-alive wait on this socket then costs one poll(2), not an epoll descriptor.
    return new GuardedConnection(withPollingImpl(s), owner_, params_, handlers_, headerMs_, bodyMs_, keepAliveMs_);
  }

 private:
  ConnectionDeadlines& owner_;
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  int64_t headerMs_, bodyMs_, keepAliveMs_;
};

}  // namespace

ConnectionDeadlines::ConnectionDeadlines(std::chrono::milliseconds header, std::chrono::milliseconds body,
                                         std::chrono::milliseconds keepAlive, std::atomic<int64_t>& closedCounter)
    : header_(header), body_(body), keepAlive_(keepAlive), closed_(closedCounter), watcher_([this] { watch(); }) {}

ConnectionDeadlines::~ConnectionDeadlines() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  watcher_.join();
}

Poco::Net::TCPServerConnectionFactory::Ptr ConnectionDeadlines::factory(
    Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers) {
  return new Factory(*this, std::move(params), std::move(handlers), header_.count(), body_.count(), keepAlive_.count());
}

bool ConnectionDeadlines::serve(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                                Poco::Net::HTTPRequestHandlerFactory::Ptr handlers) {
  return GuardedConnection::serveGuarded(socket, *this, std::move(params), std::move(handlers), header_.count(),
                                         body_.count(), keepAlive_.count());
}

int64_t ConnectionDeadlines::nowMs() { return GuardedConnection::steadyMs(); }

void ConnectionDeadlines::headReceived() {
  if (tls.conn) tls.conn->deadlineMs.store(nowMs() + tls.bodyMs, std::memory_order_relaxed);
}

void ConnectionDeadlines::bodyReceived() {
  if (tls.conn) tls.conn->deadlineMs.store(0, std::memory_order_relaxed);
}

void ConnectionDeadlines::responseSent() {
  if (tls.conn) tls.conn->deadlineMs.store(nowMs() + tls.keepAliveMs + tls.headerMs, std::memory_order_relaxed);
}

void ConnectionDeadlines::detach() {
  if (!tls.conn) return;
  tls.conn->detached = true;
  if (tls.conn->fd < 0) return;
  tls.owner->remove(tls.conn);
  ::close(tls.conn->fd);
  tls.conn->fd = -1;
  tls = ThreadState{};
}

void ConnectionDeadlines::add(Conn* c) {
  std::lock_guard lock(mu_);
  conns_.insert(c);
}

void ConnectionDeadlines::remove(Conn* c) {
  std::lock_guard lock(mu_);
  conns_.erase(c);
}

void ConnectionDeadlines::watch() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(250));
    int64_t now = nowMs();
    // Under the lock: a connection removes itself (and its socket closes) only after
    // taking it, so every fd seen here is still the connection's own.
    for (Conn* c : conns_) {
      int64_t d = c->deadlineMs.load(std::memory_order_relaxed);
      if (d == 0 || now < d) continue;
      c->deadlineMs.store(0, std::memory_order_relaxed);
      ::shutdown(c->fd, SHUT_RDWR);
      closed_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace codestatsd
