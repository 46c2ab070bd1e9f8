// A stream socket whose poll() is one poll(2) call. Poco's own SocketImpl::poll creates,
// fills and closes an epoll descriptor on every call, and HTTPServerSession makes one such
// call per keep-alive request: ~15% of the host's CPU for a small request (bench/README.md,
// ingest "Round 4").
#pragma once

#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

namespace codestatsd {

class PollingSocketImpl final : public Poco::Net::StreamSocketImpl {
 public:
  // Takes ownership of `fd`, an open, connected stream socket.
  explicit PollingSocketImpl(poco_socket_t fd) : StreamSocketImpl(fd) {}
  // Same contract as SocketImpl::poll: true when the socket is ready for `mode` (or has an
  // error or hang-up) within `timeout`; retried after a signal with the time left.
  bool poll(const Poco::Timespan& timeout, int mode) override;
};

// A socket on a duplicate of `accepted`'s descriptor with PollingSocketImpl, for a server
// connection; `accepted` itself unchanged (it closes its own descriptor). If the duplicate
// cannot be made, `accepted`.
Poco::Net::StreamSocket withPollingImpl(const Poco::Net::StreamSocket& accepted);

}  // namespace codestatsd
