// The socket a handed-off connection runs on in Poco's HTTP server code: a duplicate
// descriptor of the event loop's connection that first returns the bytes the loop already
// read (`prefix`), and whose keep-alive wait is short: when Poco asks for the next request,
// poll() waits at most `lingerMs` (and not at all while other connections wait for a request
// thread), then says "nothing" and records that Poco wanted one, so an idle connection goes
// back to the event loop instead of holding a thread. The linger keeps a busy connection
// (a client sending request after request) on its thread, as the thread-per-connection
// server did: handing it back to the loop between requests cost two thread switches per
// request (bench/README.md, round 5).
#pragma once

#include <Poco/Net/StreamSocketImpl.h>

#include <atomic>
#include <string>
#include <string_view>

namespace codestats::host {

class HandoffSocketImpl final : public Poco::Net::StreamSocketImpl {
 public:
  // Takes ownership of `fd` (a duplicate of the connection's descriptor). `draining`: the
  // server's flag, true while it drains (null: never).
  HandoffSocketImpl(poco_socket_t fd, std::string prefix, int lingerMs, const std::atomic<size_t>* waiting,
                    const std::atomic<bool>* draining = nullptr)
      : StreamSocketImpl(fd), prefix_(std::move(prefix)), lingerMs_(lingerMs), waiting_(waiting), draining_(draining) {}

  using StreamSocketImpl::receiveBytes;
  int receiveBytes(void* buffer, int length, int flags = 0) override;
  // Ready when prefix bytes are left or the socket is readable right now; otherwise false
  // at once (and wantsNextRequest() becomes true for a read wait after the first request).
  bool poll(const Poco::Timespan& timeout, int mode) override;
  int available() override;

  // Poco finished a request with the connection kept alive and asked for the next one.
  bool wantsNextRequest() const { return wantsNext_; }
  // The server drains (a stop or an upgrade): the answer being written ends the connection
  // and says so (Connection: close), so that no client sends another request on it.
  bool serverDraining() const { return draining_ && draining_->load(std::memory_order_acquire); }

  // The raw bytes of a request head, for the host's strict check (request_head.hpp): Poco's
  // parser accepts bare LFs and folded lines and hides them once parsed. `unread` is what
  // the HTTP session holds unread from its latest read (the head starts there); the bytes
  // read from then on are kept until headBytes(), which drops what the session still holds
  // after the head.
  void beginHead(size_t unread);
  std::string_view headBytes(size_t unread);

 private:
  bool ready(short events, int ms);  // one poll(2), retried after a signal
  std::string prefix_;
  size_t offset_ = 0;
  int lingerMs_;
  const std::atomic<size_t>* waiting_;  // connections waiting for a request thread
  const std::atomic<bool>* draining_;
  int readPolls_ = 0;
  bool wantsNext_ = false;
  std::string lastRead_;  // the bytes of the latest read
  std::string head_;      // since beginHead()
  bool recordingHead_ = false;
};

}  // namespace codestats::host
