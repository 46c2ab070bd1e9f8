// RFC 6455 framing for the host's WebSocket hub: an incremental decoder for client frames
// (masked, possibly fragmented, with control frames interleaved) and server frame encoding.
// Pure code: no sockets, so it can be unit-tested and fuzzed.
#pragma once

#include <codestats/text.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace codestats::host::ws {

// Close codes used by the hub (RFC 6455 section 7.4.1).
enum CloseCode : uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,
  kProtocolError = 1002,
  kUnsupportedData = 1003,  // binary frames
  kInvalidPayload = 1007,   // text that is not UTF-8
  kPolicyViolation = 1008,  // floods, bad protocol messages
  kTooBig = 1009,           // messages over the size limit
  kInternalError = 1011,    // a socket handed over with a state the new host cannot read
  kServiceRestart = 1012,   // a socket that could not move to the new host: reconnect
  kTryAgainLater = 1013,    // a client that does not read: its send queue overflowed
};

using codestats::validUtf8;

struct Message {
  enum Kind { None, Text, Binary, Ping, Pong, Close } kind = None;
  std::string payload;
  uint16_t closeCode = 0;  // for Close
};

class FrameDecoder {
 public:
  explicit FrameDecoder(size_t maxMessageBytes) : max_(maxMessageBytes) {}

  // Feeds received bytes. Returns false on a protocol violation; error() then gives the
  // close code. Complete messages are taken with next().
  bool feed(const char* data, size_t n);
  // Extracts the next complete message (control frames as they arrive); false when none.
  bool next(Message& out);
  uint16_t error() const { return error_; }
  size_t buffered() const { return buf_.size() - pos_; }
  // The input held that has not become a message yet (a fragmented message in progress, the
  // bytes of an incomplete frame), as client frames that rebuild the same state when fed to
  // a new decoder: how a socket's half-received message moves to another host.
  std::string unconsumed() const;

 private:
  bool parse();
  size_t max_;
  std::string buf_;
  size_t pos_ = 0;
  // a fragmented data message in progress
  bool inMessage_ = false;
  Message::Kind fragKind_ = Message::None;
  std::string fragment_;
  std::string ready_;  // serialized queue of complete messages: kind byte, code, len, payload
  uint16_t error_ = 0;
  bool closed_ = false;
};

// Encodes one unmasked server frame.
std::string encodeFrame(Message::Kind kind, std::string_view payload);
std::string encodeClose(uint16_t code, std::string_view reason = {});

}  // namespace codestats::host::ws
