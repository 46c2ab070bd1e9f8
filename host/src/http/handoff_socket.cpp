#include "http/handoff_socket.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace codestats::host {

namespace {
// Far above any head Poco accepts (100 fields of at most 256 + 8192 bytes).
constexpr size_t kMaxRecordedHead = 1 << 20;
}  // namespace

int HandoffSocketImpl::receiveBytes(void* buffer, int length, int flags) {
  int n;
  if (offset_ < prefix_.size() && length > 0) {
    n = static_cast<int>(std::min(prefix_.size() - offset_, static_cast<size_t>(length)));
    std::memcpy(buffer, prefix_.data() + offset_, static_cast<size_t>(n));
    if (flags & MSG_PEEK) return n;
    offset_ += static_cast<size_t>(n);
  } else {
    n = StreamSocketImpl::receiveBytes(buffer, length, flags);
    if (flags & MSG_PEEK) return n;
  }
  const char* bytes = static_cast<const char*>(buffer);
  lastRead_.assign(bytes, static_cast<size_t>(std::max(n, 0)));
  if (recordingHead_ && n > 0 && head_.size() < kMaxRecordedHead) head_.append(bytes, static_cast<size_t>(n));
  return n;
}

void HandoffSocketImpl::beginHead(size_t unread) {
  unread = std::min(unread, lastRead_.size());
  head_.assign(lastRead_, lastRead_.size() - unread, unread);
  recordingHead_ = true;
}

std::string_view HandoffSocketImpl::headBytes(size_t unread) {
  recordingHead_ = false;
  std::string_view head = head_;
  head.remove_suffix(std::min(unread, head.size()));
  return head;
}

int HandoffSocketImpl::available() {
  return static_cast<int>(prefix_.size() - offset_) + StreamSocketImpl::available();
}

bool HandoffSocketImpl::ready(short events, int ms) {
  pollfd p{sockfd(), events, 0};
  for (;;) {
    const int rc = ::poll(&p, 1, ms);
    if (rc >= 0) return rc > 0;   // ready, or an error / hang-up, which the next read reports
    if (errno != EINTR) error();  // throws, as Poco's poll does
  }
}

bool HandoffSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
  const int full = static_cast<int>(std::min<Poco::Timespan::TimeDiff>(timeout.totalMilliseconds(), 1 << 30));
  if (!(mode & SELECT_READ)) {  // writes (and error checks) wait as usual
    short events = 0;
    if (mode & SELECT_WRITE) events |= POLLOUT;
    if (mode & SELECT_ERROR) events |= POLLPRI;
    return ready(events, full);
  }
  // Poco's HTTPServerSession polls for reading once before each request: the first is the
  // request the event loop handed over, every later one is a keep-alive wait.
  const bool first = readPolls_++ == 0;
  if (offset_ < prefix_.size()) return true;
  if (first) return ready(POLLIN, full);  // (the loop hands over requests it started to read)
  const bool othersWait = waiting_ && waiting_->load(std::memory_order_relaxed) > 0;
  if (ready(POLLIN, othersWait ? 0 : lingerMs_)) return true;
  wantsNext_ = true;
  return false;
}

}  // namespace codestats::host
