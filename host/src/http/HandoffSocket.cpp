#include "http/HandoffSocket.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace codestatsd {

int HandoffSocketImpl::receiveBytes(void* buffer, int length, int flags) {
  if (offset_ < prefix_.size() && length > 0) {
    const size_t n = std::min(prefix_.size() - offset_, static_cast<size_t>(length));
    std::memcpy(buffer, prefix_.data() + offset_, n);
    if (!(flags & MSG_PEEK)) offset_ += n;
    return static_cast<int>(n);
  }
  return StreamSocketImpl::receiveBytes(buffer, length, flags);
}

int HandoffSocketImpl::available() {
  return static_cast<int>(prefix_.size() - offset_) + StreamSocketImpl::available();
}

bool HandoffSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
  if (!(mode & SELECT_READ)) {
    // Writes (and error checks) wait as usual.
    pollfd p{sockfd(), 0, 0};
    if (mode & SELECT_WRITE) p.events |= POLLOUT;
    if (mode & SELECT_ERROR) p.events |= POLLPRI;
    const int ms = static_cast<int>(std::min<Poco::Timespan::TimeDiff>(timeout.totalMilliseconds(), 1 << 30));
    for (;;) {
      const int rc = ::poll(&p, 1, ms);
      if (rc >= 0) return rc > 0;
      if (errno != EINTR) error();
    }
  }
  // Poco's HTTPServerSession polls for reading once before each request: the first is the
  // request the event loop handed over, every later one is a keep-alive wait.
  const bool first = readPolls_++ == 0;
  if (offset_ < prefix_.size()) return true;
  pollfd p{sockfd(), POLLIN, 0};
  const int wait = first || (waiting_ && waiting_->load(std::memory_order_relaxed) > 0) ? 0 : lingerMs_;
  int rc;
  do rc = ::poll(&p, 1, wait);
  while (rc < 0 && errno == EINTR);
  if (rc > 0) return true;  // data (or a hang-up, which Poco reads as the end)
  if (rc < 0) error();
  if (first) {
    // Handed over before any byte of the request arrived: not expected (the loop hands over
    // a request it has started to read), but wait as Poco would rather than drop it.
    const int ms = static_cast<int>(std::min<Poco::Timespan::TimeDiff>(timeout.totalMilliseconds(), 1 << 30));
    do rc = ::poll(&p, 1, ms);
    while (rc < 0 && errno == EINTR);
    return rc > 0;
  }
  wantsNext_ = true;
  return false;
}

}  // namespace codestatsd
