// Tests for host/src/ws/socket_handover (the state a moved WebSocket carries) and for
// FrameDecoder::unconsumed (its partly received input).
#include <catch2/catch.hpp>

#include "ws/socket_handover.hpp"
#include "ws/web_socket_codec.hpp"

using namespace codestats::host::ws;

namespace {

// A client frame (masked, as clients must send them) with a non-zero key.
std::string clientFrame(int opcode, const std::string& payload, bool fin = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
  return f;
}

SocketState sample() {
  SocketState s;
  s.serializer = Serializer::V1;
  s.identity = "alice";
  s.remote = "203.0.113.9";
  s.joins = {{"users:alice", "3", "channels", ""}, {"room:a", "7", "echo", R"({"k":1})"}};
  s.unsentOutput = std::string("\x81\x05hello\x81\x02", 9);  // a frame and the start of another
  s.partialInput = std::string("\x81\x85\x00\x00", 4);
  return s;
}

}  // namespace

TEST_CASE("socket handover: a state survives encode and decode byte for byte", "[handover]") {
  SocketState s = sample();
  auto back = decodeSocketState(encodeSocketState(s));
  REQUIRE(back);
  CHECK(back->serializer == Serializer::V1);
  CHECK(back->identity == "alice");
  CHECK(back->remote == "203.0.113.9");
  REQUIRE(back->joins.size() == 2);
  CHECK(back->joins[1].topic == "room:a");
  CHECK(back->joins[1].joinRef == "7");
  CHECK(back->joins[1].module == "echo");
  CHECK(back->joins[1].assigns == R"({"k":1})");
  CHECK(back->unsentOutput == s.unsentOutput);
  CHECK(back->partialInput == s.partialInput);

  s.serializer = Serializer::V2;
  s.joins.clear();
  s.unsentOutput.clear();
  auto v2 = decodeSocketState(encodeSocketState(s));
  REQUIRE(v2);
  CHECK(v2->serializer == Serializer::V2);
  CHECK(v2->joins.empty());
}

TEST_CASE("socket handover: anything but a complete version-1 state is refused", "[handover]") {
  const std::string blob = encodeSocketState(sample());
  for (size_t n = 0; n < blob.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    CHECK_FALSE(decodeSocketState(std::string_view(blob).substr(0, n)));
  }
  CHECK_FALSE(decodeSocketState(blob + "x"));  // trailing bytes
  std::string otherVersion = blob;
  otherVersion[4] = 2;
  CHECK_FALSE(decodeSocketState(otherVersion));
  std::string badSerializer = blob;
  badSerializer[5] = 3;
  CHECK_FALSE(decodeSocketState(badSerializer));
  std::string badMagic = blob;
  badMagic[0] = 'X';
  CHECK_FALSE(decodeSocketState(badMagic));
  CHECK_FALSE(decodeSocketState("garbage"));
}

TEST_CASE("frame decoder: unconsumed input rebuilds the same state in a new decoder", "[handover][ws]") {
  const std::string first = clientFrame(1, R"([null,"1","phoe)", false);
  const std::string rest = clientFrame(0, R"(nix","heartbeat",{}])");
  const std::string big(300, 'y');  // a 16-bit length frame
  SECTION("a fragmented message in progress and half of its last fragment") {
    FrameDecoder a(64 * 1024);
    REQUIRE(a.feed(first.data(), first.size()));
    REQUIRE(a.feed(rest.data(), 5));
    Message m;
    CHECK_FALSE(a.next(m));
    std::string carried = a.unconsumed();
    FrameDecoder b(64 * 1024);
    REQUIRE(b.feed(carried.data(), carried.size()));
    CHECK_FALSE(b.next(m));
    REQUIRE(b.feed(rest.data() + 5, rest.size() - 5));
    REQUIRE(b.next(m));
    CHECK(m.kind == Message::Text);
    CHECK(m.payload == R"([null,"1","phoenix","heartbeat",{}])");
  }
  SECTION("a long first fragment, then nothing pending") {
    FrameDecoder a(64 * 1024);
    std::string f = clientFrame(1, big, false);
    REQUIRE(a.feed(f.data(), f.size()));
    std::string carried = a.unconsumed();
    FrameDecoder b(64 * 1024);
    REQUIRE(b.feed(carried.data(), carried.size()));
    std::string end = clientFrame(0, "z");
    REQUIRE(b.feed(end.data(), end.size()));
    Message m;
    REQUIRE(b.next(m));
    CHECK(m.payload == big + "z");
  }
  SECTION("nothing received: nothing carried") {
    FrameDecoder a(64 * 1024);
    std::string whole = clientFrame(1, "hi");
    REQUIRE(a.feed(whole.data(), whole.size()));
    Message m;
    REQUIRE(a.next(m));
    CHECK(a.unconsumed().empty());
  }
}
