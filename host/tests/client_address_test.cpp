// Tests for host/src/http/client_address: X-Forwarded-For is believed from trusted proxies only.
#include <catch2/catch.hpp>

#include "http/client_address.hpp"

using codestats::host::clientAddress;

TEST_CASE("client address: the peer, unless it is a trusted proxy", "[http]") {
  const std::vector<std::string> none, local{"127.0.0.1", "::1"};
  CHECK(clientAddress("203.0.113.9", "198.51.100.1", none) == "203.0.113.9");
  CHECK(clientAddress("203.0.113.9", "198.51.100.1", local) == "203.0.113.9");  // peer not trusted
  CHECK(clientAddress("127.0.0.1", "198.51.100.1", local) == "198.51.100.1");
  CHECK(clientAddress("127.0.0.1", "", local) == "127.0.0.1");
  // A client-supplied entry on the left cannot win over what nginx appended.
  CHECK(clientAddress("127.0.0.1", "6.6.6.6, 198.51.100.1", local) == "198.51.100.1");
  CHECK(clientAddress("127.0.0.1", "198.51.100.1, 127.0.0.1", local) == "198.51.100.1");
  CHECK(clientAddress("::1", "2001:db8::7", local) == "2001:db8::7");
  CHECK(clientAddress("127.0.0.1", "not-an-ip", local) == "127.0.0.1");
  CHECK(clientAddress("127.0.0.1", "127.0.0.1", local) == "127.0.0.1");
}
