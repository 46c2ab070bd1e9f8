// Tests for host/src/http/connection_handover (the state an idle keep-alive connection
// carries to a successor host).
#include <catch2/catch.hpp>

#include "http/connection_handover.hpp"

using namespace codestats::host;

TEST_CASE("an idle connection's state survives its encoding", "[upgrade]") {
  IdleConnectionState s;
  s.peerIp = "2001:db8::7";
  s.unread = std::string("POST /api/my/pulses HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"\0", 54);  // with a NUL
  auto back = decodeIdleConnectionState(encodeIdleConnectionState(s));
  REQUIRE(back);
  CHECK(back->peerIp == s.peerIp);
  CHECK(back->unread == s.unread);

  auto empty = decodeIdleConnectionState(encodeIdleConnectionState({}));
  REQUIRE(empty);
  CHECK(empty->peerIp.empty());
  CHECK(empty->unread.empty());
}

TEST_CASE("an idle connection's state of another version or damaged is refused", "[upgrade]") {
  const std::string blob = encodeIdleConnectionState({"203.0.113.9", "GET / HT"});
  std::string otherVersion = blob;
  otherVersion[4] = 2;
  CHECK_FALSE(decodeIdleConnectionState(otherVersion));
  CHECK_FALSE(decodeIdleConnectionState(blob.substr(0, blob.size() - 1)));  // cut short
  CHECK_FALSE(decodeIdleConnectionState(blob + "x"));                       // trailing bytes
  CHECK_FALSE(decodeIdleConnectionState("CSWS" + blob.substr(4)));          // a WebSocket's
  CHECK_FALSE(decodeIdleConnectionState(""));
}
