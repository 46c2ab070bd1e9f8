// The upgrade's hand-over socket (upgrade/handover_channel): messages keep their kind, body
// and descriptors across a real UNIX socket pair, in order, and every failure is an error
// rather than a half message.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "upgrade/handover_channel.hpp"
#include "upgrade/handover_messages.hpp"

using namespace codestats::host::upgrade;
using namespace std::chrono_literals;

namespace {

struct Pair {
  std::unique_ptr<HandoverChannel> a, b;
  Pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    a = std::make_unique<HandoverChannel>(fds[0]);
    b = std::make_unique<HandoverChannel>(fds[1]);
  }
};

}  // namespace

TEST_CASE("descriptors arrive with their message and still work", "[upgrade]") {
  Pair p;
  int pipeFds[2];
  REQUIRE(::pipe(pipeFds) == 0);
  p.a->send("first", "no descriptors");
  p.a->send("listeners", "", {pipeFds[1]});
  ::close(pipeFds[1]);  // the receiver's copy keeps the pipe's write end open

  auto first = p.b->receive(5s);
  CHECK(first.kind == "first");
  CHECK(first.body == "no descriptors");
  CHECK(first.fds.empty());
  auto second = p.b->expect("listeners", 5s);
  REQUIRE(second.fds.size() == 1);
  REQUIRE(::write(second.fds[0], "hi", 2) == 2);
  char buf[2];
  REQUIRE(::read(pipeFds[0], buf, 2) == 2);
  CHECK(std::string(buf, 2) == "hi");
  ::close(second.fds[0]);
  ::close(pipeFds[0]);
}

TEST_CASE("a large body and many descriptors in one message", "[upgrade]") {
  Pair p;
  std::string body(8 << 20, 'x');  // larger than the socket buffer: sent while it is read
  for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + i % 26);
  std::vector<int> fds;
  for (size_t i = 0; i < HandoverChannel::kMaxFds; ++i) fds.push_back(::dup(0));
  std::thread sender([&] { p.a->send("state", body, fds); });
  auto m = p.b->receive(30s);
  sender.join();
  CHECK(m.body == body);
  CHECK(m.fds.size() == fds.size());
  for (int fd : fds) ::close(fd);
  for (int fd : m.fds) ::close(fd);
}

TEST_CASE("the peer's error, its end and silence are errors", "[upgrade]") {
  SECTION("error message") {
    Pair p;
    p.a->send("error", "cannot load module 'web': boom");
    CHECK_THROWS_WITH(p.b->expect("ready", 5s), "cannot load module 'web': boom");
  }
  SECTION("unexpected kind") {
    Pair p;
    p.a->send("done");
    CHECK_THROWS_WITH(p.b->expect("ready", 5s), Catch::Contains("expected 'ready'"));
  }
  SECTION("end of stream") {
    Pair p;
    p.a.reset();
    CHECK_THROWS_AS(p.b->receive(5s), HandoverError);
  }
  SECTION("timeout") {
    Pair p;
    CHECK_THROWS_WITH(p.b->receive(50ms), Catch::Contains("timed out"));
  }
  SECTION("sending to a peer that is gone") {
    Pair p;
    p.b.reset();
    CHECK_THROWS_AS(p.a->send("hello", std::string(1 << 20, 'x')), HandoverError);
  }
}

TEST_CASE("module states and socket states survive their encoding", "[upgrade]") {
  ModuleState s{"cache", 3, std::string("\0blob\n", 6)};
  auto back = decodeModuleState(encodeModuleState(s));
  CHECK(back.module == "cache");
  CHECK(back.schema == 3);
  CHECK(back.blob == s.blob);

  std::vector<MovedSocket> sockets{{5, "one"}, {6, ""}, {7, std::string(1000, 'z')}};
  auto states = decodeSocketStates(encodeSocketStates(sockets, 1, 2));
  REQUIRE(states.size() == 2);
  CHECK(states[0].empty());
  CHECK(states[1] == sockets[2].state);
  std::string truncated = encodeSocketStates(sockets, 0, 3);
  truncated.pop_back();
  CHECK_THROWS_AS(decodeSocketStates(truncated), HandoverError);
}

// The old host sends keep-alive connections from its event loop while it drains: a new host
// that stops reading must not hold that loop.
TEST_CASE("a send to a peer that stopped reading fails after the send timeout", "[upgrade]") {
  Pair p;
  p.a->setSendTimeout(100ms);
  const std::string body(1 << 20, 'x');  // more than the socket buffers hold
  CHECK_THROWS_AS(p.a->send("http-connections", body), HandoverError);
}

// The new host's thread that receives keep-alive connections is stopped at its shutdown.
TEST_CASE("interrupt ends a receive that waits on another thread", "[upgrade]") {
  Pair p;
  bool failed = false;  // (Catch's assertions are not for other threads)
  std::thread waiter([&] {
    try {
      p.b->receive(60s);
    } catch (const HandoverError&) {
      failed = true;
    }
  });
  std::this_thread::sleep_for(50ms);  // (also passes when the interrupt comes first)
  p.b->interrupt();
  waiter.join();
  CHECK(failed);
}
