// A deliberately low-level WebSocket client for hub tests: real TCP on loopback, frames
// built by hand so tests can also send what a well-behaved client never would.
#pragma once

#include <Poco/Net/StreamSocket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace codestats::test {

struct WsFrame {
  int opcode = 0;  // 1 text, 2 binary, 8 close, 9 ping, 10 pong; 0 = nothing (timeout/closed)
  std::string payload;
  uint16_t closeCode() const {
    return payload.size() >= 2 ? static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1])) : 0;
  }
};

// One frame as a client sends it (masked), for tests that send frames in pieces.
std::string maskedClientFrame(int opcode, const std::string& payload, bool fin = true);

class WsClient {
 public:
  // Connects and upgrades; `status` gets the HTTP status of the handshake (101 on success).
  WsClient(int port, const std::string& target, int* status = nullptr) : WsClient(port, target, {}, status) {}
  // The same with more request headers ("Origin", ...); a "Host" entry replaces the default
  // "Host: 127.0.0.1". `response` (optional) gets the handshake's response head and body.
  WsClient(int port, const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
           int* status = nullptr, std::string* response = nullptr);
  bool open() const { return open_; }

  void sendText(const std::string& text) { sendFrame(1, text); }
  void sendFrame(int opcode, const std::string& payload, bool fin = true);
  void sendRaw(const std::string& bytes);
  // Next frame within timeoutMs (opcode 0 when none or the socket closed). The defaults are
  // deadlines for a frame that is due, generous for a slow machine; a test that expects no
  // frame passes its own short timeout.
  WsFrame next(int timeoutMs = 10000);
  // Skips frames until a text frame containing `needle` (or timeout).
  std::optional<std::string> waitFor(const std::string& needle, int timeoutMs = 10000);
  Poco::Net::StreamSocket& socket() { return sock_; }

 private:
  bool fill(size_t n, int timeoutMs);
  Poco::Net::StreamSocket sock_;
  std::string buf_;
  bool open_ = false;
};

}  // namespace codestats::test
