#include "http/PollingSocket.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace codestatsd {

bool PollingSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
  pollfd p{sockfd(), 0, 0};
  if (mode & SELECT_READ) p.events |= POLLIN;
  if (mode & SELECT_WRITE) p.events |= POLLOUT;
  if (mode & SELECT_ERROR) p.events |= POLLPRI;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::microseconds(timeout.totalMicroseconds());
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
    const int ms = left <= 0 ? 0 : static_cast<int>((left + 999) / 1000);  // rounded up: no early return
    const int rc = ::poll(&p, 1, ms);
    if (rc >= 0) return rc > 0;
    if (errno != EINTR) error();  // throws, as Poco's poll does
  }
}

Poco::Net::StreamSocket withPollingImpl(const Poco::Net::StreamSocket& accepted) {
  const int fd = ::dup(accepted.impl()->sockfd());
  if (fd < 0) return accepted;
  return Poco::Net::StreamSocket(new PollingSocketImpl(fd));
}

}  // namespace codestatsd
