#include "ws/channel_hub.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <Poco/Net/WebSocket.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <future>

#include "abi/exchange.hpp"
#include "runtime/module_table.hpp"
#include "services/metrics.hpp"
#include "services/worker_pool.hpp"
#include "ws/phoenix_message.hpp"
#include "ws/socket_handover.hpp"
#include "ws/web_socket_codec.hpp"

namespace codestats::host {

using ws::Message;

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

cs_str cs(std::string_view s) { return cs_str{s.data(), s.size()}; }

struct Join {
  std::string joinRef;
  std::string module;
  std::string assigns;
};

// The module generation currently handling `topic`, with its registration.
struct ChannelTarget {
  GenerationPtr lease;
  const ChannelReg* reg = nullptr;
};

ChannelTarget findChannel(ModuleTable& modules, std::string_view topic, std::string_view onlyModule = {}) {
  auto slots = modules.snapshot();
  for (const auto& slot : *slots) {
    if (!onlyModule.empty() && slot->name != onlyModule) continue;
    GenerationPtr lease = slot->current.load();
    if (!lease) continue;
    for (const auto& r : lease->channels)
      if (channelPatternMatches(r.pattern, topic)) return ChannelTarget{lease, &r};
  }
  return {};
}

}  // namespace

struct ChannelHub::Conn {
  uint64_t id = 0;
  Poco::Net::StreamSocket sock;  // owns the descriptor
  int fd = -1;
  IoThread* io = nullptr;
  std::string identity, remote;
  ws::Serializer serializer = ws::Serializer::V2;  // the wire format the connect's vsn chose
  ws::FrameDecoder decoder{64 * 1024};             // I/O thread only
  std::atomic<int64_t> lastSeenMs{0};
  std::shared_ptr<SerialQueue> inbox;

  std::mutex mu;  // send side
  std::deque<std::shared_ptr<const std::string>> out;
  size_t queued = 0;
  size_t offset = 0;
  // The front chunk goes out whole even before its first byte is written: an adopted
  // socket's moved output may begin inside a frame the client has partly received.
  bool frontCommitted = false;
  std::atomic<bool> closing{false};  // a close frame is queued: no more input is processed
  bool dead = false;
  bool writeArmed = false;
  bool halfClosed = false;  // I/O thread: close frame sent, write side shut, draining input
  int64_t closeDeadlineMs = 0;
  bool paused = false;    // detachAll took it out of its I/O thread: nothing is written
  bool detached = false;  // handed over: its output moved with it, nothing more is queued

  std::mutex joinsMu;  // written on the worker (serial per conn), read by push()
  std::unordered_map<std::string, Join> joins;
};

struct ChannelHub::IoThread {
  ChannelHub& hub;
  int epfd = -1, evfd = -1;
  std::mutex mu;
  std::vector<std::shared_ptr<Conn>> adds, dirty;
  std::vector<std::function<void()>> tasks;  // run on this thread, after the adds before them
  bool notified = false;
  std::unordered_map<int, std::shared_ptr<Conn>> byFd;
  std::thread thread;

  explicit IoThread(ChannelHub& h) : hub(h) {
    epfd = epoll_create1(EPOLL_CLOEXEC);
    evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = evfd;
    epoll_ctl(epfd, EPOLL_CTL_ADD, evfd, &ev);
    thread = std::thread([this] { run(); });
  }
  void stop() {
    wake();
    if (thread.joinable()) thread.join();
  }
  ~IoThread() {
    stop();
    ::close(epfd);
    ::close(evfd);
  }

  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(evfd, &one, sizeof one);
  }
  void add(std::shared_ptr<Conn> c) {
    {
      std::lock_guard lock(mu);
      adds.push_back(std::move(c));
    }
    wake();
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mu);
      tasks.push_back(std::move(task));
    }
    wake();
  }
  // Takes an open connection out of epoll (detachAll): no more reads, and flush() writes
  // nothing while it is paused. False for one that is closing or not (or no longer) here.
  bool pause(const std::shared_ptr<Conn>& c) {
    auto it = byFd.find(c->fd);
    if (it == byFd.end() || it->second != c) return false;
    {
      std::lock_guard lock(c->mu);
      if (c->dead || c->closing) return false;
      c->paused = true;
      c->writeArmed = false;
    }
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, nullptr);
    byFd.erase(it);
    return true;
  }
  void markDirty(const std::shared_ptr<Conn>& c) {
    bool doWake = false;
    {
      std::lock_guard lock(mu);
      dirty.push_back(c);
      if (!notified) notified = doWake = true;
    }
    if (doWake) wake();
  }

  void setWrite(Conn& c, bool on) {
    if (c.writeArmed == on) return;
    c.writeArmed = on;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0);
    ev.data.fd = c.fd;
    epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev);
  }

  // Drops the frames (and the part of a frame) the kernel took. Called with c.mu held.
  static void consumeWritten(Conn& c, size_t written) {
    while (written > 0) {
      const size_t rest = c.out.front()->size() - c.offset;
      if (written < rest) {
        c.offset += written;
        return;
      }
      written -= rest;
      c.queued -= c.out.front()->size();
      c.out.pop_front();
      c.frontCommitted = false;
      c.offset = 0;
    }
  }

  void destroy(const std::shared_ptr<Conn>& c) {
    {
      std::lock_guard lock(c->mu);
      if (c->dead) return;
      c->dead = true;
      c->out.clear();
      c->queued = 0;
    }
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, nullptr);
    byFd.erase(c->fd);
    try {
      c->sock.close();
    } catch (...) {
    }
    hub.onClosed(c);
  }

  // Writes what the connection has queued, up to kMaxFramesPerWrite frames per sendmsg (a
  // socket behind by many broadcasts, as after an upgrade's paused events, catches up in a
  // few system calls instead of one per frame); arms EPOLLOUT when the kernel buffer is full.
  static constexpr size_t kMaxFramesPerWrite = 64;
  void flush(const std::shared_ptr<Conn>& c) {
    bool finished = false;
    {
      std::lock_guard lock(c->mu);
      if (c->dead || c->paused || c->detached) return;
      while (!c->out.empty()) {
        iovec iov[kMaxFramesPerWrite];
        size_t frames = 0, bytes = 0;
        for (auto it = c->out.begin(); it != c->out.end() && frames < kMaxFramesPerWrite; ++it, ++frames) {
          size_t skip = frames == 0 ? c->offset : 0;
          iov[frames].iov_base = const_cast<char*>((*it)->data() + skip);
          iov[frames].iov_len = (*it)->size() - skip;
          bytes += iov[frames].iov_len;
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = frames;
        ssize_t n = ::sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) {
            setWrite(*c, true);
            return;
          }
          finished = true;  // peer gone
          break;
        }
        consumeWritten(*c, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < bytes) {  // the kernel buffer is full
          setWrite(*c, true);
          return;
        }
      }
      if (!finished) {
        setWrite(*c, false);
        if (c->closing && !c->halfClosed) {
          // The close frame went out. Shut our side and keep reading (and discarding) for a
          // moment, so unread client data does not turn the close into a TCP reset that
          // would swallow the close frame.
          ::shutdown(c->fd, SHUT_WR);
          c->halfClosed = true;
          c->closeDeadlineMs = nowMs() + 2000;
        }
      }
    }
    if (finished) destroy(c);
  }

  void read(const std::shared_ptr<Conn>& c) {
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return destroy(c);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return destroy(c);
      }
      c->lastSeenMs = nowMs();
      if (c->closing) continue;  // after our close frame, input is drained, not processed
      bool ok = c->decoder.feed(buf, static_cast<size_t>(n));
      Message m;
      while (c->decoder.next(m)) handle(c, m);
      if (!ok) return hub.close(c, c->decoder.error(), "protocol error");
      if (static_cast<size_t>(n) < sizeof buf) break;
    }
  }

  void handle(const std::shared_ptr<Conn>& c, Message& m) {
    switch (m.kind) {
      case Message::Text: {
        hub.metrics_.counter("codestats_ws_messages_in_total")++;
        std::weak_ptr<Conn> weak = c;
        ChannelHub* h = &hub;
        bool queued = c->inbox->post([h, weak, text = std::move(m.payload)]() mutable {
          if (auto conn = weak.lock()) h->onMessage(conn, std::move(text));
        });
        if (!queued) hub.close(c, ws::kPolicyViolation, "too many messages");
        break;
      }
      case Message::Binary: hub.close(c, ws::kUnsupportedData, "binary frames are not supported"); break;
      case Message::Ping:
        hub.send(c, std::make_shared<const std::string>(ws::encodeFrame(Message::Pong, m.payload)));
        break;
      case Message::Close:
        hub.close(c, m.closeCode == 1005 || m.closeCode < 1000 ? ws::kNormal : m.closeCode, "");
        break;
      default: break;
    }
  }

  void run() {
    epoll_event evs[256];
    int64_t lastSweep = nowMs();
    while (!hub.stopping_) {
      int n = epoll_wait(epfd, evs, 256, 1000);
      for (int i = 0; i < n; ++i) {
        int fd = evs[i].data.fd;
        if (fd == evfd) {
          uint64_t v;
          [[maybe_unused]] auto r = ::read(evfd, &v, sizeof v);
          std::vector<std::shared_ptr<Conn>> a, d;
          std::vector<std::function<void()>> t;
          {
            std::lock_guard lock(mu);
            a.swap(adds);
            d.swap(dirty);
            t.swap(tasks);
            notified = false;
          }
          for (auto& c : a) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.fd = c->fd;
            byFd[c->fd] = c;
            {
              std::lock_guard lock(c->mu);
              c->writeArmed = false;
            }
            epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
            Message m;  // messages an adopted socket's partial input completed
            while (c->decoder.next(m)) handle(c, m);
            read(c);   // bytes that arrived with the handshake
            flush(c);  // an adopted socket's unsent output; a close queued before the add
          }
          for (auto& c : d) flush(c);
          for (auto& task : t) task();
          continue;
        }
        auto it = byFd.find(fd);
        if (it == byFd.end()) continue;
        auto c = it->second;
        if (evs[i].events & EPOLLOUT) flush(c);
        if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) read(c);
      }
      int64_t now = nowMs();
      if (now - lastSweep >= 1000) {
        lastSweep = now;
        std::vector<std::shared_ptr<Conn>> idle, lingering;
        for (auto& [fd, c] : byFd) {
          if (c->halfClosed && now > c->closeDeadlineMs) lingering.push_back(c);
          else if (now - c->lastSeenMs > hub.limits_.idleTimeoutMs) idle.push_back(c);
        }
        for (auto& c : lingering) destroy(c);
        for (auto& c : idle) hub.close(c, ws::kNormal, "idle timeout");
      }
    }
    for (auto& [fd, c] : byFd) {
      std::lock_guard lock(c->mu);
      c->dead = true;
    }
    byFd.clear();
  }
};

ChannelHub::ChannelHub(HubLimits limits, ModuleTable& modules, WorkerPool& workers, Metrics& metrics)
    : limits_(limits), modules_(modules), workers_(workers), metrics_(metrics) {
  // Exported at 0 from the start (an alert on drops must see the series before the first one).
  for (const char* name :
       {"codestats_ws_connections_opened_total", "codestats_ws_connections_closed_total",
        "codestats_ws_queue_overflows_total", "codestats_ws_broadcasts_total", "codestats_ws_origin_refused_total",
        "codestats_ws_detached_total", "codestats_ws_adopted_total", "codestats_ws_handover_closed_total"})
    metrics_.counter(name);
  for (int i = 0; i < std::max(1, limits_.ioThreads); ++i) io_.push_back(std::make_unique<IoThread>(*this));
}

ChannelHub::~ChannelHub() {
  shutdown();
  io_.clear();
  std::lock_guard lock(connsMu_);
  conns_.clear();
}

// Stops the I/O threads; the hub object stays valid for worker tasks that still run.
void ChannelHub::shutdown() {
  if (stopping_.exchange(true)) return;
  for (auto& io : io_) io->stop();
}

size_t ChannelHub::connections() const {
  std::lock_guard lock(connsMu_);
  return conns_.size();
}

void ChannelHub::accept(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                        const std::string& query, const std::string& remoteAddr) {
  auto refuse = [&](Poco::Net::HTTPResponse::HTTPStatus status, const std::string& body) {
    resp.setStatusAndReason(status);
    resp.setContentType("application/json");
    resp.setKeepAlive(false);
    resp.sendBuffer(body.data(), body.size());
  };
  if (stopping_ || handingOver_)
    return refuse(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE, R"({"error":"shutting down"})");
  // Phoenix fails the connect for a vsn no serializer matches, and its transport answers a
  // failed connect with 403 (Phoenix.Socket negotiate_serializer, Transports.WebSocket).
  auto serializer = ws::serializerForVsn(ws::queryParam(query, "vsn"));
  if (!serializer)
    return refuse(Poco::Net::HTTPResponse::HTTP_FORBIDDEN,
                  R"({"error":"unsupported serializer vsn: 1.0.0 and 2.0.0 are supported"})");
  if (!originAllowed(req, remoteAddr))
    return refuse(Poco::Net::HTTPResponse::HTTP_FORBIDDEN, R"({"error":"Origin not allowed"})");

  // Who is connecting: the module that handles socket connects decides (lease held).
  std::string identity;
  auto slots = modules_.snapshot();
  for (const auto& slot : *slots) {
    GenerationPtr lease = slot->current.load();
    if (!lease || !lease->socketConnect.fn) continue;
    cs_buf id, err;
    cs_status rc = CS_E_MODULE;
    try {
      rc = lease->socketConnect.fn(lease->socketConnect.ud, cs(query), cs(remoteAddr), &id, &err);
    } catch (...) {
    }
    if (rc == CS_E_REFUSED) return refuse(Poco::Net::HTTPResponse::HTTP_FORBIDDEN, R"({"error":"Forbidden"})");
    if (rc != CS_OK) {
      spdlog::warn("{} socket connect failed: {}", lease->logPrefix(), err.data);
      return refuse(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, R"({"error":"Internal server error"})");
    }
    identity = std::move(id.data);
    break;
  }

  std::unique_ptr<Poco::Net::WebSocket> socket;
  try {
    socket = std::make_unique<Poco::Net::WebSocket>(req, resp);  // sends 101 and detaches the socket
  } catch (const Poco::Net::WebSocketException& e) {
    if (!resp.sent()) refuse(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, R"({"error":"Bad WebSocket upgrade"})");
    return;
  }
  auto c = std::make_shared<Conn>();
  c->id = nextId_++;
  c->sock = *socket;
  c->sock.setBlocking(false);
  c->sock.setNoDelay(true);
  if (limits_.sendBufferBytes > 0) c->sock.setSendBufferSize(limits_.sendBufferBytes);
  c->fd = c->sock.impl()->sockfd();
  c->identity = std::move(identity);
  c->remote = remoteAddr;
  c->serializer = *serializer;
  c->decoder = ws::FrameDecoder(limits_.maxMessageBytes);
  c->lastSeenMs = nowMs();
  c->inbox = std::make_shared<SerialQueue>(workers_, limits_.maxInbox);
  c->io = io_[nextIo_++ % io_.size()].get();
  bool tooLate = false;
  {
    // Registered and handed to its I/O thread in one step, so detachAll's snapshot and the
    // I/O thread's adds agree on which sockets exist.
    std::lock_guard lock(connsMu_);
    tooLate = handingOver_;
    conns_[c->id] = c;
    c->io->add(c);
  }
  metrics_.counter("codestats_ws_connections_opened_total")++;
  if (tooLate) {  // upgraded while detachAll began
    metrics_.counter("codestats_ws_handover_closed_total")++;
    close(c, ws::kServiceRestart, "service restart");
  }
}

void ChannelHub::setOriginPolicy(std::shared_ptr<const OriginPolicy> policy) {
  std::lock_guard lock(originMu_);
  origins_ = std::move(policy);
}

// Browsers send Origin with every WebSocket upgrade; other clients (editor plugins, the
// node phoenix client) usually do not, and are not what the check is about.
bool ChannelHub::originAllowed(const Poco::Net::HTTPServerRequest& req, const std::string& remoteAddr) {
  if (!req.has("Origin")) return true;
  std::shared_ptr<const OriginPolicy> policy;
  {
    std::lock_guard lock(originMu_);
    policy = origins_;
  }
  if (!policy) policy = std::make_shared<const OriginPolicy>(std::string(), std::vector<std::string>{});
  const std::string& origin = req.get("Origin");
  if (policy->allows(origin, req.get("Host", ""))) return true;
  metrics_.counter("codestats_ws_origin_refused_total")++;
  uint64_t suppressed = 0;
  if (originLog_.allow(suppressed)) {
    std::string shown = origin.substr(0, 200);
    for (char& ch : shown)
      if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) ch = '?';
    spdlog::warn(
        "[host] refused a live-update socket from {} with Origin '{}': it must match {} ({} more refused "
        "since the last such line; codestats_ws_origin_refused_total counts them all)",
        remoteAddr, shown, policy->describe(), suppressed);
  }
  return false;
}

void ChannelHub::send(const std::shared_ptr<Conn>& c, std::shared_ptr<const std::string> frame) {
  {
    std::lock_guard lock(c->mu);
    if (c->dead || c->closing || c->detached) return;
    if (c->queued + frame->size() > limits_.maxQueuedBytes) {
      // A client that does not read: drop what it has not taken and close it.
      metrics_.counter("codestats_ws_queue_overflows_total")++;
      if (c->offset == 0 && !c->frontCommitted) {
        c->out.clear();
        c->queued = 0;
      } else {
        while (c->out.size() > 1) {
          c->queued -= c->out.back()->size();
          c->out.pop_back();
        }
      }
      auto closeFrame = std::make_shared<const std::string>(ws::encodeClose(ws::kTryAgainLater, "send queue full"));
      c->out.push_back(closeFrame);
      c->queued += closeFrame->size();
      c->closing = true;
    } else {
      c->queued += frame->size();
      c->out.push_back(std::move(frame));
    }
  }
  c->io->markDirty(c);
}

void ChannelHub::sendText(const std::shared_ptr<Conn>& c, const std::string& text) {
  send(c, std::make_shared<const std::string>(ws::encodeFrame(Message::Text, text)));
}

void ChannelHub::close(const std::shared_ptr<Conn>& c, uint16_t code, std::string_view reason) {
  {
    std::lock_guard lock(c->mu);
    if (c->dead || c->closing || c->detached) return;
    auto frame = std::make_shared<const std::string>(ws::encodeClose(code, reason));
    c->out.push_back(frame);
    c->queued += frame->size();
    c->closing = true;
  }
  metrics_.counter("codestats_ws_closes_total", Metrics::label("code", std::to_string(code)))++;
  c->io->markDirty(c);
}

void ChannelHub::onClosed(const std::shared_ptr<Conn>& c) {
  {
    std::lock_guard lock(connsMu_);
    conns_.erase(c->id);
  }
  metrics_.counter("codestats_ws_connections_closed_total")++;
  // The module learns about the leaves in order, after anything still queued for this conn.
  auto keep = c;
  if (!c->inbox->post([this, keep] { leaveAll(keep); })) workers_.post([this, keep] { leaveAll(keep); });
}

void ChannelHub::leaveAll(const std::shared_ptr<Conn>& c) {
  std::unordered_map<std::string, Join> joins;
  {
    std::lock_guard lock(c->joinsMu);
    joins.swap(c->joins);
  }
  for (auto& [topic, j] : joins) {
    {
      std::unique_lock lock(topicsMu_);
      auto it = topics_.find(topic);
      if (it != topics_.end()) {
        it->second.erase(c->id);
        if (it->second.empty()) topics_.erase(it);
      }
    }
    ChannelTarget t = findChannel(modules_, topic, j.module);
    if (t.reg && t.reg->handlers.on_leave) {
      try {
        t.reg->handlers.on_leave(t.reg->ud, c->id, cs(topic), cs(c->identity), cs(j.assigns));
      } catch (...) {
      }
    }
  }
}

void ChannelHub::onMessage(const std::shared_ptr<Conn>& c, std::string text) {
  const ws::Serializer vsn = c->serializer;
  auto msg = ws::decodePhoenix(vsn, text);
  if (!msg)
    return close(c, ws::kUnsupportedData,
                 vsn == ws::Serializer::V1 ? "not a Phoenix V1 message" : "not a Phoenix V2 message");
  auto reply = [&](std::string_view status, std::string_view response) {
    sendText(
        c, ws::encodePhoenix(vsn, msg->joinRef, msg->ref, msg->topic, "phx_reply", ws::replyPayload(status, response)));
  };

  if (msg->topic == "phoenix" && msg->event == "heartbeat") return reply("ok", "{}");

  if (msg->event == "phx_join") {
    std::optional<Join> previous;
    {
      std::lock_guard lock(c->joinsMu);
      auto it = c->joins.find(msg->topic);
      if (it != c->joins.end()) {
        previous = it->second;
        c->joins.erase(it);
      } else if (c->joins.size() >= limits_.maxJoins) {
        return reply("error", R"({"reason":"too many joins"})");
      }
    }
    if (previous) {  // a duplicate join replaces the old one, which is closed
      ChannelTarget old = findChannel(modules_, msg->topic, previous->module);
      if (old.reg && old.reg->handlers.on_leave)
        old.reg->handlers.on_leave(old.reg->ud, c->id, cs(msg->topic), cs(c->identity), cs(previous->assigns));
      sendText(c, ws::encodePhoenix(vsn, previous->joinRef, previous->joinRef, msg->topic, "phx_close", "{}"));
    }
    ChannelTarget t = findChannel(modules_, msg->topic);
    if (!t.reg) {
      if (previous) {
        std::unique_lock lock(topicsMu_);
        topics_[msg->topic].erase(c->id);
      }
      return reply("error", R"({"reason":"unmatched topic"})");
    }
    cs_buf response, assigns, err;
    cs_status rc = CS_E_MODULE;
    try {
      rc = t.reg->handlers.on_join(t.reg->ud, c->id, cs(msg->topic), cs(msg->payload), cs(c->identity), &response,
                                   &assigns, &err);
    } catch (...) {
    }
    if (rc == CS_E_REFUSED) {
      if (previous) {
        std::unique_lock lock(topicsMu_);
        topics_[msg->topic].erase(c->id);
      }
      return reply("error", response.data.empty() ? R"({"reason":"unauthorized"})" : response.data);
    }
    if (rc != CS_OK) {
      spdlog::warn("{} join of '{}' failed: {}", t.lease->logPrefix(), msg->topic, err.data);
      return reply("error", R"({"reason":"join crashed"})");
    }
    {
      std::lock_guard lock(c->joinsMu);
      c->joins[msg->topic] = Join{msg->joinRef.value_or(msg->ref.value_or("")), t.lease->module, assigns.data};
    }
    {
      std::unique_lock lock(topicsMu_);
      topics_[msg->topic].insert(c->id);
    }
    return reply("ok", response.data);
  }

  std::optional<Join> join;
  {
    std::lock_guard lock(c->joinsMu);
    auto it = c->joins.find(msg->topic);
    if (it != c->joins.end()) join = it->second;
  }
  if (!join) return reply("error", R"({"reason":"unmatched topic"})");

  if (msg->event == "phx_leave") {
    {
      std::lock_guard lock(c->joinsMu);
      c->joins.erase(msg->topic);
    }
    {
      std::unique_lock lock(topicsMu_);
      auto it = topics_.find(msg->topic);
      if (it != topics_.end()) {
        it->second.erase(c->id);
        if (it->second.empty()) topics_.erase(it);
      }
    }
    ChannelTarget t = findChannel(modules_, msg->topic, join->module);
    if (t.reg && t.reg->handlers.on_leave)
      t.reg->handlers.on_leave(t.reg->ud, c->id, cs(msg->topic), cs(c->identity), cs(join->assigns));
    reply("ok", "{}");
    return sendText(c, ws::encodePhoenix(vsn, join->joinRef, join->joinRef, msg->topic, "phx_close", "{}"));
  }

  ChannelTarget t = findChannel(modules_, msg->topic, join->module);
  if (!t.reg) {
    // The module's new version no longer handles this topic: close this channel only.
    {
      std::lock_guard lock(c->joinsMu);
      c->joins.erase(msg->topic);
    }
    return sendText(c, ws::encodePhoenix(vsn, join->joinRef, join->joinRef, msg->topic, "phx_close", "{}"));
  }
  if (!t.reg->handlers.on_event) return reply("error", R"({"reason":"unhandled event"})");
  cs_buf response, err;
  cs_status rc = CS_E_MODULE;
  try {
    rc = t.reg->handlers.on_event(t.reg->ud, c->id, cs(msg->topic), cs(msg->event), cs(msg->payload), cs(c->identity),
                                  cs(join->assigns), &response, &err);
  } catch (...) {
  }
  if (rc == CS_OK) return reply("ok", response.data);
  if (rc == CS_E_REFUSED || rc == CS_E_NOT_FOUND)
    return reply("error", response.data.empty() ? R"({"reason":"unhandled event"})" : response.data);
  spdlog::warn("{} event '{}' on '{}' failed: {}", t.lease->logPrefix(), msg->event, msg->topic, err.data);
  reply("error", R"({"reason":"event crashed"})");
}

void ChannelHub::broadcast(std::string_view topic, std::string_view event, std::string_view payloadJson) {
  // One frame per wire format, encoded once and shared by every socket that speaks it.
  std::shared_ptr<const std::string> frames[2];
  auto frameFor = [&](ws::Serializer s) {
    auto& f = frames[s == ws::Serializer::V1 ? 0 : 1];
    if (!f)
      f = std::make_shared<const std::string>(
          ws::encodeFrame(Message::Text, ws::encodePhoenix(s, std::nullopt, std::nullopt, topic, event, payloadJson)));
    return f;
  };
  std::vector<std::shared_ptr<Conn>> targets;
  {
    std::shared_lock lock(topicsMu_);
    auto it = topics_.find(std::string(topic));
    if (it == topics_.end()) return;
    std::lock_guard connsLock(connsMu_);
    targets.reserve(it->second.size());
    for (uint64_t id : it->second) {
      auto c = conns_.find(id);
      if (c != conns_.end()) targets.push_back(c->second);
    }
  }
  metrics_.counter("codestats_ws_broadcasts_total")++;
  for (auto& c : targets) send(c, frameFor(c->serializer));
}

bool ChannelHub::push(uint64_t conn, std::string_view topic, std::string_view event, std::string_view payloadJson) {
  std::shared_ptr<Conn> c;
  {
    std::lock_guard lock(connsMu_);
    auto it = conns_.find(conn);
    if (it == conns_.end()) return false;
    c = it->second;
  }
  std::optional<std::string> joinRef;
  {
    std::lock_guard lock(c->joinsMu);
    auto it = c->joins.find(std::string(topic));
    if (it == c->joins.end()) return false;
    joinRef = it->second.joinRef;
  }
  sendText(c, ws::encodePhoenix(c->serializer, joinRef, std::nullopt, topic, event, payloadJson));
  return true;
}

std::vector<std::shared_ptr<ChannelHub::Conn>> ChannelHub::pauseAll(const std::vector<std::shared_ptr<Conn>>& conns) {
  std::vector<std::future<std::vector<std::shared_ptr<Conn>>>> results;
  for (auto& io : io_) {
    std::vector<std::shared_ptr<Conn>> mine;
    for (auto& c : conns)
      if (c->io == io.get()) mine.push_back(c);
    auto done = std::make_shared<std::promise<std::vector<std::shared_ptr<Conn>>>>();
    results.push_back(done->get_future());
    IoThread* thread = io.get();
    thread->post([thread, done, mine = std::move(mine)] {
      std::vector<std::shared_ptr<Conn>> paused;
      for (auto& c : mine)
        if (thread->pause(c)) paused.push_back(c);
      done->set_value(std::move(paused));
    });
  }
  std::vector<std::shared_ptr<Conn>> paused;
  for (auto& r : results)
    for (auto& c : r.get()) paused.push_back(c);
  return paused;
}

std::vector<DetachedSocket> ChannelHub::detachAll(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::shared_ptr<Conn>> open;
  {
    std::lock_guard lock(connsMu_);
    if (stopping_ || handingOver_.exchange(true)) return {};
    for (auto& [id, c] : conns_) open.push_back(c);
  }
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<Conn>> paused = pauseAll(open);
  const auto readsPaused = std::chrono::steady_clock::now();
  size_t notMoved = open.size() - paused.size();  // already closing: their close goes on

  // Reads have stopped, so nothing new enters an inbox: once a marker posted now has run,
  // every module call before it has finished and its reply is queued.
  std::vector<std::future<void>> idle;
  std::vector<bool> marked;
  for (auto& c : paused) {
    auto done = std::make_shared<std::promise<void>>();
    idle.push_back(done->get_future());
    marked.push_back(c->inbox->post([done] { done->set_value(); }));
  }

  std::vector<DetachedSocket> moved;
  for (size_t i = 0; i < paused.size(); ++i) {
    const auto& c = paused[i];
    bool finished = marked[i] && idle[i].wait_until(deadline) == std::future_status::ready;
    // A duplicate for the caller; closing ours later sends nothing (the connection stays open
    // while a descriptor refers to it), and it is out of epoll already.
    int fd = finished ? ::fcntl(c->fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (finished && fd < 0) spdlog::warn("[host] handover: cannot duplicate a socket: {}", std::strerror(errno));
    std::string unsent;
    bool movable = false;
    {
      std::lock_guard lock(c->mu);
      if (fd >= 0 && !c->closing && !c->dead) {
        movable = true;
        c->detached = true;
        if (!c->out.empty()) {
          unsent.assign(*c->out.front(), c->offset);
          for (size_t k = 1; k < c->out.size(); ++k) unsent += *c->out[k];
        }
        c->out.clear();
        c->queued = c->offset = 0;
      }
    }
    if (!movable) {
      if (fd >= 0) ::close(fd);
      resumeAndClose(c);
      ++notMoved;
      continue;
    }
    moved.push_back(DetachedSocket{fd, release(c, std::move(unsent))});
  }
  metrics_.counter("codestats_ws_detached_total") += static_cast<int64_t>(moved.size());
  metrics_.counter("codestats_ws_handover_closed_total") += static_cast<int64_t>(notMoved);
  using Ms = std::chrono::duration<double, std::milli>;
  spdlog::info(
      "[host] handover: {} live-update socket(s) detached, {} closed with 1012 (reads paused in {:.0f} ms, "
      "then detached in {:.0f} ms)",
      moved.size(), notMoved, Ms(readsPaused - began).count(),
      Ms(std::chrono::steady_clock::now() - readsPaused).count());
  return moved;
}

// Removes a detached connection from the hub without a leave (the join goes on in the new
// host), closes this hub's descriptor and returns the state that goes with the duplicate.
std::string ChannelHub::release(const std::shared_ptr<Conn>& c, std::string unsentOutput) {
  {
    std::lock_guard lock(connsMu_);
    conns_.erase(c->id);
  }
  ws::SocketState state;
  state.serializer = c->serializer;
  state.identity = c->identity;
  state.remote = c->remote;
  state.unsentOutput = std::move(unsentOutput);
  state.partialInput = c->decoder.unconsumed();  // the I/O thread let go of it in pause()
  {
    std::lock_guard lock(c->joinsMu);
    for (auto& [topic, j] : c->joins) state.joins.push_back(ws::JoinState{topic, j.joinRef, j.module, j.assigns});
  }
  {
    std::unique_lock lock(topicsMu_);
    for (const auto& j : state.joins) {
      auto it = topics_.find(j.topic);
      if (it == topics_.end()) continue;
      it->second.erase(c->id);
      if (it->second.empty()) topics_.erase(it);
    }
  }
  try {
    c->sock.close();
  } catch (...) {
  }
  return ws::encodeSocketState(state);
}

// A paused connection that cannot move: back to its I/O thread with a close, so the client
// reconnects (and rejoins) to whichever host answers.
void ChannelHub::resumeAndClose(const std::shared_ptr<Conn>& c) {
  {
    std::lock_guard lock(c->mu);
    c->paused = false;
  }
  {
    std::lock_guard lock(connsMu_);
    c->io->add(c);
  }
  close(c, ws::kServiceRestart, "service restart");
}

void ChannelHub::refuseHandover(int fd, uint16_t code, std::string_view reason) {
  metrics_.counter("codestats_ws_handover_closed_total")++;
  if (fd < 0) return;
  std::string frame = ws::encodeClose(code, reason);
  [[maybe_unused]] auto n = ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
}

bool ChannelHub::adopt(int fd, std::string_view blob) {
  int type = 0;
  socklen_t len = sizeof type;
  if (fd < 0 || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
    spdlog::warn("[host] handover: refused a descriptor that is not a stream socket");
    refuseHandover(-1, 0, {});
    if (fd >= 0) ::close(fd);
    return false;
  }
  auto state = ws::decodeSocketState(blob);
  ws::FrameDecoder decoder(limits_.maxMessageBytes);
  if (!state || !decoder.feed(state->partialInput.data(), state->partialInput.size())) {
    spdlog::warn("[host] handover: refused a socket whose state is not a readable version-{} state",
                 ws::kSocketStateVersion);
    refuseHandover(fd, ws::kInternalError, "bad handover state");
    return false;
  }
  if (stopping_ || handingOver_) {
    refuseHandover(fd, ws::kServiceRestart, "service restart");
    return false;
  }

  auto c = std::make_shared<Conn>();
  try {
    c->sock = Poco::Net::StreamSocket(new Poco::Net::StreamSocketImpl(fd));  // owns fd from here
    c->sock.setBlocking(false);
    c->sock.setNoDelay(true);
    if (limits_.sendBufferBytes > 0) c->sock.setSendBufferSize(limits_.sendBufferBytes);
  } catch (const Poco::Exception& e) {
    spdlog::warn("[host] handover: cannot set up an adopted socket: {}", e.displayText());
    refuseHandover(-1, 0, {});
    return false;  // the socket object closed fd
  }
  c->fd = fd;
  c->identity = std::move(state->identity);
  c->remote = std::move(state->remote);
  c->serializer = state->serializer;
  c->decoder = std::move(decoder);
  c->lastSeenMs = nowMs();
  c->inbox = std::make_shared<SerialQueue>(workers_, limits_.maxInbox);
  c->io = io_[nextIo_++ % io_.size()].get();
  if (!state->unsentOutput.empty()) {  // before anything this hub sends
    c->frontCommitted = true;
    c->queued = state->unsentOutput.size();
    c->out.push_back(std::make_shared<const std::string>(std::move(state->unsentOutput)));
  }
  for (auto& j : state->joins)
    c->joins[j.topic] = Join{std::move(j.joinRef), std::move(j.module), std::move(j.assigns)};
  {
    std::lock_guard lock(connsMu_);
    if (handingOver_) {  // detachAll began meanwhile
      refuseHandover(::dup(fd), ws::kServiceRestart, "service restart");
      c->sock.close();
      return false;
    }
    c->id = nextId_++;
    conns_[c->id] = c;
    c->io->add(c);
  }
  {
    std::unique_lock lock(topicsMu_);
    for (const auto& [topic, j] : c->joins) topics_[topic].insert(c->id);
  }
  metrics_.counter("codestats_ws_adopted_total")++;
  return true;
}

}  // namespace codestats::host
