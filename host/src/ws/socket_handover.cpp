#include "ws/socket_handover.hpp"

namespace codestats::host::ws {

namespace {

constexpr std::string_view kMagic = "CSWS";
// No real socket has this many joins (HubLimits::maxJoins is 100); a count above it is damage.
constexpr uint32_t kMaxJoins = 1 << 16;

void putU32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xFF));
}

void putStr(std::string& out, std::string_view s) {
  putU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u8(uint8_t& v) {
    if (in_.size() - pos_ < 1) return false;
    v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool u32(uint32_t& v) {
    if (in_.size() - pos_ < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool str(std::string& v) {
    uint32_t n = 0;
    if (!u32(n) || in_.size() - pos_ < n) return false;
    v.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool bytes(std::string_view expected) {
    if (in_.substr(pos_, expected.size()) != expected) return false;
    pos_ += expected.size();
    return true;
  }
  bool atEnd() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::string encodeSocketState(const SocketState& state) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(kSocketStateVersion));
  out.push_back(static_cast<char>(state.serializer == Serializer::V1 ? 1 : 2));
  putStr(out, state.identity);
  putStr(out, state.remote);
  putU32(out, static_cast<uint32_t>(state.joins.size()));
  for (const auto& j : state.joins) {
    putStr(out, j.topic);
    putStr(out, j.joinRef);
    putStr(out, j.module);
    putStr(out, j.assigns);
  }
  putStr(out, state.unsentOutput);
  putStr(out, state.partialInput);
  return out;
}

std::optional<SocketState> decodeSocketState(std::string_view blob) {
  Reader r(blob);
  SocketState s;
  uint8_t version = 0, serializer = 0;
  uint32_t joins = 0;
  if (!r.bytes(kMagic) || !r.u8(version) || version != kSocketStateVersion || !r.u8(serializer)) return std::nullopt;
  if (serializer != 1 && serializer != 2) return std::nullopt;
  s.serializer = serializer == 1 ? Serializer::V1 : Serializer::V2;
  if (!r.str(s.identity) || !r.str(s.remote) || !r.u32(joins) || joins > kMaxJoins) return std::nullopt;
  for (uint32_t i = 0; i < joins; ++i) {
    JoinState j;
    if (!r.str(j.topic) || !r.str(j.joinRef) || !r.str(j.module) || !r.str(j.assigns) || j.topic.empty())
      return std::nullopt;
    s.joins.push_back(std::move(j));
  }
  if (!r.str(s.unsentOutput) || !r.str(s.partialInput) || !r.atEnd()) return std::nullopt;
  return s;
}

}  // namespace codestats::host::ws
