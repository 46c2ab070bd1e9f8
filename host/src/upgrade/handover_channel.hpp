// The UNIX stream socket between a running host and the successor it started during an
// upgrade (docs/operations.md, "Upgrading the host"). Each message has a kind, a body and
// optionally descriptors, which travel as SCM_RIGHTS with the message's first bytes.
//
// Frame: kind length (u16), descriptor count (u16), body length (u32), all in host byte
// order (both ends run on one machine), then the kind and the body.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::host::upgrade {

class HandoverError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HandoverMessage {
  std::string kind;
  std::string body;
  std::vector<int> fds;  // received descriptors (close-on-exec); the receiver owns them
};

class HandoverChannel {
 public:
  // At most this many descriptors per message (the kernel's SCM_MAX_FD is 253).
  static constexpr size_t kMaxFds = 200;

  explicit HandoverChannel(int fd);  // takes ownership
  ~HandoverChannel();
  HandoverChannel(const HandoverChannel&) = delete;
  HandoverChannel& operator=(const HandoverChannel&) = delete;

  // Throws HandoverError when the peer is gone. The descriptors stay open here.
  void send(std::string_view kind, std::string_view body = {}, const std::vector<int>& fds = {});
  // Waits up to `timeout` for the whole message; throws HandoverError on a timeout, the
  // peer's end or a malformed frame.
  HandoverMessage receive(std::chrono::milliseconds timeout);
  // receive(), then a HandoverError unless the kind is `kind`; a peer's "error" message
  // becomes the exception's text.
  HandoverMessage expect(std::string_view kind, std::chrono::milliseconds timeout);
  // A send that cannot go on for this long fails (HandoverError) instead of waiting for a
  // peer that stopped reading.
  void setSendTimeout(std::chrono::milliseconds timeout);
  // Any thread: the waits and sends in progress and all later ones fail at once.
  void interrupt();

 private:
  void readExactly(char* out, size_t n, std::chrono::steady_clock::time_point deadline, std::vector<int>* fds);
  int fd_;
};

}  // namespace codestats::host::upgrade
