#include "ws/web_socket_codec.hpp"

#include <cstring>

namespace codestats::host::ws {

namespace {

void putMessage(std::string& q, Message::Kind kind, uint16_t code, std::string_view payload) {
  q.push_back(static_cast<char>(kind));
  q.push_back(static_cast<char>(code >> 8));
  q.push_back(static_cast<char>(code & 0xFF));
  uint32_t len = static_cast<uint32_t>(payload.size());
  for (int s = 24; s >= 0; s -= 8) q.push_back(static_cast<char>((len >> s) & 0xFF));
  q.append(payload);
}

}  // namespace

bool FrameDecoder::feed(const char* data, size_t n) {
  if (error_) return false;
  if (closed_) return true;  // ignore anything after a close frame
  buf_.append(data, n);
  while (parse()) {
  }
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 65536) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return error_ == 0;
}

// Parses one frame from buf_ at pos_. Returns true if a frame was consumed.
bool FrameDecoder::parse() {
  if (error_ || closed_) return false;
  size_t avail = buf_.size() - pos_;
  if (avail < 2) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
  bool fin = p[0] & 0x80;
  unsigned rsv = p[0] & 0x70, opcode = p[0] & 0x0F;
  bool masked = p[1] & 0x80;
  uint64_t len = p[1] & 0x7F;
  size_t header = 2;
  if (rsv) return error_ = kProtocolError, false;      // no extensions negotiated
  if (!masked) return error_ = kProtocolError, false;  // clients must mask
  if (len == 126) {
    if (avail < 4) return false;
    len = (uint64_t(p[2]) << 8) | p[3];
    header = 4;
  } else if (len == 127) {
    if (avail < 10) return false;
    len = 0;
    for (int k = 2; k < 10; ++k) len = (len << 8) | p[k];
    header = 10;
  }
  bool control = opcode & 0x8;
  if (control && (len > 125 || !fin)) return error_ = kProtocolError, false;
  if (!control && len + fragment_.size() > max_) return error_ = kTooBig, false;
  if (avail < header + 4 + len) return false;
  const unsigned char* mask = p + header;
  const unsigned char* src = mask + 4;
  std::string payload(static_cast<size_t>(len), '\0');
  for (size_t k = 0; k < len; ++k) payload[k] = static_cast<char>(src[k] ^ mask[k & 3]);
  pos_ += header + 4 + static_cast<size_t>(len);

  switch (opcode) {
    case 0x0:  // continuation
      if (!inMessage_) return error_ = kProtocolError, false;
      fragment_ += payload;
      if (fin) {
        if (fragKind_ == Message::Text && !validUtf8(fragment_)) return error_ = kInvalidPayload, false;
        putMessage(ready_, fragKind_, 0, fragment_);
        fragment_.clear();
        inMessage_ = false;
      }
      return true;
    case 0x1:
    case 0x2: {
      if (inMessage_) return error_ = kProtocolError, false;
      Message::Kind kind = opcode == 0x1 ? Message::Text : Message::Binary;
      if (fin) {
        if (kind == Message::Text && !validUtf8(payload)) return error_ = kInvalidPayload, false;
        putMessage(ready_, kind, 0, payload);
      } else {
        inMessage_ = true;
        fragKind_ = kind;
        fragment_ = std::move(payload);
      }
      return true;
    }
    case 0x8: {
      uint16_t code = kNormal;
      if (len == 1) return error_ = kProtocolError, false;
      if (len >= 2) code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
      putMessage(ready_, Message::Close, code, len > 2 ? std::string_view(payload).substr(2) : std::string_view());
      closed_ = true;
      return true;
    }
    case 0x9: putMessage(ready_, Message::Ping, 0, payload); return true;
    case 0xA: putMessage(ready_, Message::Pong, 0, payload); return true;
    default: return error_ = kProtocolError, false;
  }
}

std::string FrameDecoder::unconsumed() const {
  std::string out;
  if (inMessage_) {
    // The fragments so far as one first fragment (no FIN), masked with a zero key: the payload
    // is stored unmasked and XOR with zero leaves it as it is.
    std::string frame = encodeFrame(fragKind_, fragment_);
    frame[0] = static_cast<char>(frame[0] & 0x7F);
    frame[1] = static_cast<char>(frame[1] | 0x80);
    size_t header = (frame[1] & 0x7F) == 126 ? 4 : (frame[1] & 0x7F) == 127 ? 10 : 2;
    frame.insert(header, 4, '\0');
    out += frame;
  }
  out.append(buf_, pos_, std::string::npos);
  return out;
}

bool FrameDecoder::next(Message& out) {
  if (ready_.size() < 7) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(ready_.data());
  out.kind = static_cast<Message::Kind>(p[0]);
  out.closeCode = static_cast<uint16_t>((p[1] << 8) | p[2]);
  uint32_t len = (uint32_t(p[3]) << 24) | (uint32_t(p[4]) << 16) | (uint32_t(p[5]) << 8) | p[6];
  out.payload.assign(ready_, 7, len);
  ready_.erase(0, 7 + len);
  return true;
}

std::string encodeFrame(Message::Kind kind, std::string_view payload) {
  unsigned opcode = kind == Message::Text     ? 0x1
                    : kind == Message::Binary ? 0x2
                    : kind == Message::Close  ? 0x8
                    : kind == Message::Ping   ? 0x9
                                              : 0xA;
  std::string out;
  out.reserve(payload.size() + 10);
  out.push_back(static_cast<char>(0x80 | opcode));
  size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(126);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(127);
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((uint64_t(n) >> s) & 0xFF));
  }
  out.append(payload);
  return out;
}

std::string encodeClose(uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, 123));
  return encodeFrame(Message::Close, payload);
}

}  // namespace codestats::host::ws
