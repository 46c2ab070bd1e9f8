#include "raw_http_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace codestats::test {

namespace {

using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string trimmed(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

[[noreturn]] void fail(const std::string& what, const std::string& received) {
  throw std::runtime_error(what + "; received so far: \"" + received + "\"");
}

}  // namespace

std::string RawResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

size_t RawResponse::headerCount(std::string_view name) const {
  size_t n = 0;
  for (const auto& kv : headers)
    if (iequals(kv.first, name)) ++n;
  return n;
}

const char* toString(PeerEnd e) {
  switch (e) {
    case PeerEnd::Closed: return "closed";
    case PeerEnd::Reset: return "reset";
    case PeerEnd::StillOpen: return "still open";
    case PeerEnd::SentData: return "sent data";
  }
  return "?";
}

RawHttpConnection::RawHttpConnection(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(std::string("connect: ") + std::strerror(err));
  }
}

RawHttpConnection::~RawHttpConnection() { close(); }

void RawHttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawHttpConnection::shutdownWrite() { ::shutdown(fd_, SHUT_WR); }

void RawHttpConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void RawHttpConnection::sendInPieces(std::string_view bytes, size_t pieceSize, std::chrono::milliseconds pause) {
  while (!bytes.empty()) {
    size_t n = std::min(pieceSize, bytes.size());
    send(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (!bytes.empty()) std::this_thread::sleep_for(pause);
  }
}

RawHttpConnection::Read RawHttpConnection::receiveSome(Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left < 0) left = 0;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return Read::Timeout;
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      return Read::Data;
    }
    if (n == 0) return Read::Eof;
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECONNRESET) return Read::Reset;
    throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
  }
}

bool RawHttpConnection::fill(size_t n, Clock::time_point deadline, std::string_view what) {
  while (buf_.size() < n) {
    Read r = receiveSome(deadline);
    if (r == Read::Data) continue;
    fail(std::string(r == Read::Timeout ? "timed out" : "connection ended") + " while reading " + std::string(what),
         buf_);
  }
  return true;
}

std::string RawHttpConnection::readLine(Clock::time_point deadline) {
  size_t pos;
  while ((pos = buf_.find("\r\n")) == std::string::npos) {
    Read r = receiveSome(deadline);
    if (r != Read::Data) fail("no complete chunk line", buf_);
  }
  std::string line = buf_.substr(0, pos);
  buf_.erase(0, pos + 2);
  return line;
}

RawResponse RawHttpConnection::readResponse(int timeoutMs, bool bodyless) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    Read r = receiveSome(deadline);
    if (r == Read::Data) continue;
    fail(std::string(r == Read::Timeout ? "timed out"
                     : r == Read::Eof   ? "connection closed"
                                        : "connection reset") +
             " before a complete response head",
         buf_);
  }
  RawResponse resp;
  resp.head = buf_.substr(0, end + 4);
  buf_.erase(0, end + 4);

  // Status line, then header lines.
  std::string_view h(resp.head);
  size_t eol = h.find("\r\n");
  std::string_view status = h.substr(0, eol);
  size_t sp1 = status.find(' ');
  if (sp1 == std::string_view::npos) fail("bad status line", resp.head);
  resp.version = std::string(status.substr(0, sp1));
  size_t sp2 = status.find(' ', sp1 + 1);
  resp.status = std::stoi(std::string(status.substr(sp1 + 1, sp2 == std::string_view::npos ? sp2 : sp2 - sp1 - 1)));
  if (sp2 != std::string_view::npos) resp.reason = std::string(status.substr(sp2 + 1));
  for (size_t pos = eol + 2; pos < h.size() - 2;) {
    size_t next = h.find("\r\n", pos);
    std::string_view line = h.substr(pos, next - pos);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) fail("header line without a colon", resp.head);
    resp.headers.emplace_back(std::string(line.substr(0, colon)), trimmed(line.substr(colon + 1)));
    pos = next + 2;
  }

  // Body framing (RFC 9112 section 6.3).
  if (bodyless || resp.status / 100 == 1 || resp.status == 204 || resp.status == 304) return resp;
  if (iequals(resp.header("Transfer-Encoding"), "chunked")) {
    for (;;) {
      size_t size = std::stoul(readLine(deadline), nullptr, 16);
      if (size == 0) {
        while (!readLine(deadline).empty()) {
        }
        return resp;
      }
      fill(size + 2, deadline, "a chunk");
      resp.body.append(buf_, 0, size);
      buf_.erase(0, size + 2);
    }
  }
  if (resp.headerCount("Content-Length")) {
    size_t n = std::stoul(resp.header("Content-Length"));
    fill(n, deadline, "the body");
    resp.body = buf_.substr(0, n);
    buf_.erase(0, n);
    return resp;
  }
  // Delimited by the close.
  for (;;) {
    Read r = receiveSome(deadline);
    if (r == Read::Data) continue;
    if (r == Read::Timeout) fail("timed out reading a close-delimited body", buf_);
    resp.body = std::move(buf_);
    buf_.clear();
    return resp;
  }
}

bool RawHttpConnection::readAtLeast(size_t n, int timeoutMs) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  while (buf_.size() < n)
    if (receiveSome(deadline) != Read::Data) return false;
  return true;
}

PeerEnd RawHttpConnection::waitForEnd(int timeoutMs) {
  if (!buf_.empty()) return PeerEnd::SentData;
  switch (receiveSome(Clock::now() + std::chrono::milliseconds(timeoutMs))) {
    case Read::Data: return PeerEnd::SentData;
    case Read::Eof: return PeerEnd::Closed;
    case Read::Reset: return PeerEnd::Reset;
    case Read::Timeout: return PeerEnd::StillOpen;
  }
  return PeerEnd::StillOpen;
}

}  // namespace codestats::test
