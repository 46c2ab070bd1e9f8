// One client TCP connection for byte-level HTTP tests: the test decides exactly which bytes
// are written and when (all at once, in pieces, half a request), reads responses framed as
// the server framed them, and observes whether and how the server ends the connection.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codestats::test {

struct RawResponse {
  std::string head;  // status line and header lines exactly as received, blank line included
  std::string version;
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;                                          // de-chunked when the response was chunked

  // The first value of `name` (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
  size_t headerCount(std::string_view name) const;
};

// How the server side of a connection ended (or not) within a wait.
enum class PeerEnd {
  Closed,     // orderly close: read returned 0
  Reset,      // ECONNRESET (the server closed with unread request bytes, or aborted)
  StillOpen,  // nothing arrived within the wait
  SentData,   // bytes arrived instead (kept for the next readResponse)
};
const char* toString(PeerEnd e);

class RawHttpConnection {
 public:
  // Connects to 127.0.0.1:port with TCP_NODELAY, so that every send() leaves as written.
  explicit RawHttpConnection(int port);
  ~RawHttpConnection();
  RawHttpConnection(const RawHttpConnection&) = delete;
  RawHttpConnection& operator=(const RawHttpConnection&) = delete;

  // Writes all of `bytes` (one write(2) unless the kernel takes less); throws on error.
  void send(std::string_view bytes);
  // Writes `bytes` in pieces of `pieceSize`, pausing `pause` after each piece but the last.
  void sendInPieces(std::string_view bytes, size_t pieceSize, std::chrono::milliseconds pause);
  void shutdownWrite();
  void close();

  // The next complete response: framed by Content-Length, chunked encoding, or the close.
  // `bodyless` for the answer to HEAD. Throws std::runtime_error (with what was received)
  // when the connection ends first or nothing complete arrives within timeoutMs.
  RawResponse readResponse(int timeoutMs = 5000, bool bodyless = false);
  // Waits up to timeoutMs for the server to end the connection.
  PeerEnd waitForEnd(int timeoutMs);
  // Reads until at least n bytes are pending (false if the connection ends or the time
  // runs out first); for what follows an upgrade.
  bool readAtLeast(size_t n, int timeoutMs);
  // Received bytes not consumed by a response yet.
  const std::string& pending() const { return buf_; }

 private:
  enum class Read { Data, Eof, Reset, Timeout };
  Read receiveSome(std::chrono::steady_clock::time_point deadline);
  bool fill(size_t n, std::chrono::steady_clock::time_point deadline, std::string_view what);
  std::string readLine(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buf_;
};

}  // namespace codestats::test
