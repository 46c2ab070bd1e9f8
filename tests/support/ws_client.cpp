#include "ws_client.hpp"

#include <Poco/Net/NetException.h>
#include <Poco/Timespan.h>

#include <chrono>
#include <random>

namespace codestats::test {

WsClient::WsClient(int port, const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
                   int* status, std::string* response) {
  sock_.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  sock_.setNoDelay(true);
  std::string host = "127.0.0.1", extra;
  for (const auto& [name, value] : headers) {
    if (name == "Host") host = value;
    else extra += name + ": " + value + "\r\n";
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: " + host +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                    extra + "\r\n";
  sendRaw(req);
  // read the response head
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline || !fill(buf_.size() + 1, 5000)) {
      if (status) *status = 0;
      return;
    }
  }
  int code = 0;
  if (buf_.size() > 12) code = std::atoi(buf_.substr(9, 3).c_str());
  if (status) *status = code;
  if (response) {
    if (code != 101)  // a refusal: its body, up to the close
      while (fill(buf_.size() + 1, 500)) {
      }
    *response = buf_;
  }
  buf_.erase(0, end + 4);
  open_ = code == 101;
}

void WsClient::sendRaw(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size())
    sent += static_cast<size_t>(sock_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent)));
}

std::string maskedClientFrame(int opcode, const std::string& payload, bool fin) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int s = 56; s >= 0; s -= 8) f.push_back(static_cast<char>((uint64_t(n) >> s) & 0xFF));
  }
  unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(reinterpret_cast<char*>(mask), 4);
  for (size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return f;
}

void WsClient::sendFrame(int opcode, const std::string& payload, bool fin) {
  sendRaw(maskedClientFrame(opcode, payload, fin));
}

bool WsClient::fill(size_t n, int timeoutMs) {
  char tmp[65536];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (buf_.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    sock_.setReceiveTimeout(Poco::Timespan(left.count() * 1000));
    try {
      int got = sock_.receiveBytes(tmp, sizeof tmp);
      if (got <= 0) return false;
      buf_.append(tmp, static_cast<size_t>(got));
    } catch (const Poco::TimeoutException&) {
      return false;
    } catch (const Poco::Net::NetException&) {
      return false;
    }
  }
  return true;
}

WsFrame WsClient::next(int timeoutMs) {
  WsFrame f;
  if (!fill(2, timeoutMs)) return f;
  auto b = reinterpret_cast<const unsigned char*>(buf_.data());
  int opcode = b[0] & 0x0F;
  uint64_t len = b[1] & 0x7F;
  size_t header = 2;
  if (len == 126) {
    if (!fill(4, timeoutMs)) return f;
    b = reinterpret_cast<const unsigned char*>(buf_.data());
    len = (uint64_t(b[2]) << 8) | b[3];
    header = 4;
  } else if (len == 127) {
    if (!fill(10, timeoutMs)) return f;
    b = reinterpret_cast<const unsigned char*>(buf_.data());
    len = 0;
    for (int k = 2; k < 10; ++k) len = (len << 8) | b[k];
    header = 10;
  }
  if (!fill(header + len, timeoutMs)) return f;
  f.opcode = opcode;
  f.payload = buf_.substr(header, static_cast<size_t>(len));
  buf_.erase(0, header + static_cast<size_t>(len));
  return f;
}

std::optional<std::string> WsClient::waitFor(const std::string& needle, int timeoutMs) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    WsFrame f = next(static_cast<int>(std::max<int64_t>(1, left.count())));
    if (f.opcode == 0) return std::nullopt;
    if (f.opcode == 1 && f.payload.find(needle) != std::string::npos) return f.payload;
    if (f.opcode == 8) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace codestats::test
