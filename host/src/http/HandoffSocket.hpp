// The socket a handed-off connection runs on in Poco's HTTP server code: a duplicate
// descriptor of the event loop's connection that first returns the bytes the loop already
// read (`prefix`), and whose keep-alive wait does not wait: when Poco asks for the next
// request and none has arrived yet, poll() says "nothing" and records that Poco wanted one,
// so the connection goes back to the event loop instead of holding a thread while idle.
#pragma once

#include <Poco/Net/StreamSocketImpl.h>

#include <string>

namespace codestatsd {

class HandoffSocketImpl final : public Poco::Net::StreamSocketImpl {
 public:
  // Takes ownership of `fd` (a duplicate of the connection's descriptor).
  HandoffSocketImpl(poco_socket_t fd, std::string prefix) : StreamSocketImpl(fd), prefix_(std::move(prefix)) {}

  using StreamSocketImpl::receiveBytes;
  int receiveBytes(void* buffer, int length, int flags = 0) override;
  // Ready when prefix bytes are left or the socket is readable right now; otherwise false
  // at once (and wantsNextRequest() becomes true for a read wait after the first request).
  bool poll(const Poco::Timespan& timeout, int mode) override;
  int available() override;

  // Poco finished a request with the connection kept alive and asked for the next one.
  bool wantsNextRequest() const { return wantsNext_; }

 private:
  std::string prefix_;
  size_t offset_ = 0;
  int readPolls_ = 0;
  bool wantsNext_ = false;
};

}  // namespace codestatsd
