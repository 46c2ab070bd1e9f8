#include "upgrade/handover_channel.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace codestats::host::upgrade {

namespace {

struct FrameHeader {
  uint16_t kindBytes;
  uint16_t fdCount;
  uint32_t bodyBytes;
};
static_assert(sizeof(FrameHeader) == 8);

constexpr uint32_t kMaxBodyBytes = 1u << 30;  // a module state of up to 1 GiB

void writeAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw HandoverError(std::string("the other host is gone: ") + std::strerror(errno));
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

HandoverChannel::HandoverChannel(int fd) : fd_(fd) {}

HandoverChannel::~HandoverChannel() {
  if (fd_ >= 0) ::close(fd_);
}

void HandoverChannel::send(std::string_view kind, std::string_view body, const std::vector<int>& fds) {
  if (kind.size() > UINT16_MAX || body.size() > kMaxBodyBytes || fds.size() > kMaxFds)
    throw HandoverError("handover message too large");
  FrameHeader h{static_cast<uint16_t>(kind.size()), static_cast<uint16_t>(fds.size()),
                static_cast<uint32_t>(body.size())};
  // The header goes with the descriptors in one sendmsg, so they arrive with its bytes.
  iovec iov{&h, sizeof h};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (!fds.empty()) {
    control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t w;
  do {
    w = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
  } while (w < 0 && errno == EINTR);
  if (w < 0) throw HandoverError(std::string("the other host is gone: ") + std::strerror(errno));
  if (static_cast<size_t>(w) < sizeof h)
    writeAll(fd_, reinterpret_cast<const char*>(&h) + w, sizeof h - static_cast<size_t>(w));
  writeAll(fd_, kind.data(), kind.size());
  writeAll(fd_, body.data(), body.size());
}

void HandoverChannel::readExactly(char* out, size_t n, std::chrono::steady_clock::time_point deadline,
                                  std::vector<int>* fds) {
  while (n > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw HandoverError("timed out waiting for the other host");
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (r < 0 && errno != EINTR) throw HandoverError(std::string("poll: ") + std::strerror(errno));
    if (r <= 0) continue;
    iovec iov{out, n};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 253)];
    if (fds) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
    }
    ssize_t got = ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw HandoverError(std::string("the other host is gone: ") + std::strerror(errno));
    }
    if (got == 0) throw HandoverError("the other host closed the handover socket");
    if (fds) {
      for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const auto* data = reinterpret_cast<const int*>(CMSG_DATA(cm));
        for (size_t i = 0; i < count; ++i) fds->push_back(data[i]);
      }
      if (msg.msg_flags & MSG_CTRUNC) {
        for (int fd : *fds) ::close(fd);
        fds->clear();
        throw HandoverError("descriptors were lost in the handover (MSG_CTRUNC)");
      }
      fds = nullptr;  // descriptors come with the frame's first bytes only
    }
    out += got;
    n -= static_cast<size_t>(got);
  }
}

HandoverMessage HandoverChannel::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  FrameHeader h{};
  HandoverMessage m;
  try {
    readExactly(reinterpret_cast<char*>(&h), sizeof h, deadline, &m.fds);
    if (h.bodyBytes > kMaxBodyBytes || h.fdCount != m.fds.size()) throw HandoverError("malformed handover frame");
    m.kind.resize(h.kindBytes);
    readExactly(m.kind.data(), m.kind.size(), deadline, nullptr);
    m.body.resize(h.bodyBytes);
    readExactly(m.body.data(), m.body.size(), deadline, nullptr);
  } catch (...) {
    for (int fd : m.fds) ::close(fd);
    throw;
  }
  return m;
}

void HandoverChannel::setSendTimeout(std::chrono::milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void HandoverChannel::interrupt() { ::shutdown(fd_, SHUT_RDWR); }

HandoverMessage HandoverChannel::expect(std::string_view kind, std::chrono::milliseconds timeout) {
  HandoverMessage m = receive(timeout);
  if (m.kind == kind) return m;
  for (int fd : m.fds) ::close(fd);
  if (m.kind == "error") throw HandoverError(m.body);
  throw HandoverError("expected '" + std::string(kind) + "' from the other host, got '" + m.kind + "'");
}

}  // namespace codestats::host::upgrade
