#include "http/connection_deadlines.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_connection.hpp"

namespace codestats::host {

namespace {

struct ThreadState {
  ConnectionDeadlines* owner = nullptr;
  ConnectionDeadlines::Conn* conn = nullptr;
  int64_t headerMs = 0, bodyMs = 0, keepAliveMs = 0;
};
thread_local ThreadState tls;

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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

bool ConnectionDeadlines::serve(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                                Poco::Net::HTTPRequestHandlerFactory::Ptr handlers) {
  Conn conn;
  // Our own descriptor of the socket: Poco closes its descriptor when the session ends,
  // and the number could then be reused by another connection before we deregister.
  conn.fd = ::dup(socket.impl()->sockfd());
  conn.deadlineMs = steadyMs() + header_.count();
  if (conn.fd >= 0) add(&conn);
  tls = ThreadState{this, &conn, header_.count(), body_.count(), keepAlive_.count()};
  try {
    runHttpConnection(socket, params, handlers);
  } catch (const std::exception& e) {
    spdlog::debug("[http] connection ended: {}", e.what());
  }
  tls = ThreadState{};
  if (conn.fd >= 0) {  // (detach() closed it already after an upgrade)
    remove(&conn);
    ::close(conn.fd);
  }
  return conn.detached;
}

int64_t ConnectionDeadlines::nowMs() { return steadyMs(); }

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
  if (aborted_) ::shutdown(c->fd, SHUT_RDWR);  // served after the stop: ends at once
}

void ConnectionDeadlines::abortAll() {
  std::lock_guard lock(mu_);
  aborted_ = true;
  for (Conn* c : conns_) ::shutdown(c->fd, SHUT_RDWR);
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

}  // namespace codestats::host
