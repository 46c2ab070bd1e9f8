// PollingSocketImpl::poll keeps SocketImpl::poll's contract with one poll(2) call.
#include <catch2/catch.hpp>

#include "http/PollingSocket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

using codestatsd::PollingSocketImpl;
using Poco::Net::Socket;
using Clock = std::chrono::steady_clock;

TEST_CASE("polling socket: waits out the timeout when idle, wakes for data and for a hang-up", "[http]") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  Poco::Net::StreamSocket ours(new PollingSocketImpl(fds[0]));  // owns fds[0]
  auto* impl = ours.impl();

  auto start = Clock::now();
  CHECK_FALSE(impl->poll(Poco::Timespan(0, 60'000), Socket::SELECT_READ));  // nothing to read
  CHECK(Clock::now() - start >= std::chrono::milliseconds(55));
  CHECK(impl->poll(Poco::Timespan(0, 0), Socket::SELECT_WRITE));  // room to write, at once

  REQUIRE(::write(fds[1], "x", 1) == 1);
  start = Clock::now();
  CHECK(impl->poll(Poco::Timespan(5, 0), Socket::SELECT_READ));
  CHECK(Clock::now() - start < std::chrono::seconds(1));
  char c = 0;
  REQUIRE(ours.receiveBytes(&c, 1) == 1);
  CHECK(c == 'x');

  ::close(fds[1]);  // the peer hangs up: readable (end of stream)
  CHECK(impl->poll(Poco::Timespan(5, 0), Socket::SELECT_READ));
  CHECK(ours.receiveBytes(&c, 1) == 0);
}
