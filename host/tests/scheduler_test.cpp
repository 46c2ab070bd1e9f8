// Tests for host/src/services/scheduler.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/test_util.hpp"
#include "services/scheduler.hpp"

using namespace codestats::host;
using codestats::host::test::waitFor;
using namespace std::chrono_literals;

namespace {}  // namespace

TEST_CASE("scheduler: a 10 ms timer fires repeatedly", "[scheduler]") {
  Scheduler s;
  std::atomic<int> fired{0};
  auto start = std::chrono::steady_clock::now();
  s.every(10ms, [&] { fired.fetch_add(1); });
  CHECK(waitFor([&] { return fired.load() >= 5; }));
  // not before its first period has elapsed, and not wildly more often than every 10 ms
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 40ms);
  // keeps firing
  int n = fired.load();
  CHECK(waitFor([&] { return fired.load() >= n + 3; }));
  // and never more than once per period: runs in a window <= window / 10 ms + 1
  auto t0 = std::chrono::steady_clock::now();
  int before = fired.load();
  std::this_thread::sleep_for(100ms);
  int after = fired.load();
  auto windowMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  INFO("window " << windowMs << " ms, runs " << after - before);
  CHECK(after - before <= windowMs / 10 + 2);
}

TEST_CASE("scheduler: the first run waits one period", "[scheduler]") {
  Scheduler s;
  std::atomic<int> fired{0};
  auto start = std::chrono::steady_clock::now();
  auto id = s.every(300ms, [&] { fired.fetch_add(1); });
  std::this_thread::sleep_for(50ms);
  int n = fired.load();
  if (std::chrono::steady_clock::now() - start < 290ms) CHECK(n == 0);  // skip if this thread was starved
  CHECK(waitFor([&] { return fired.load() >= 1; }));
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  s.cancel(id);
}

TEST_CASE("scheduler: ids are distinct and timers independent", "[scheduler]") {
  Scheduler s;
  std::atomic<int> a{0}, b{0};
  auto ida = s.every(5ms, [&] { a.fetch_add(1); });
  auto idb = s.every(5ms, [&] { b.fetch_add(1); });
  CHECK(ida != idb);
  CHECK(ida != 0);
  CHECK(idb != 0);
  REQUIRE(waitFor([&] { return a.load() >= 3 && b.load() >= 3; }));
  s.cancel(ida);
  int aAfter = a.load(), bAfter = b.load();
  CHECK(waitFor([&] { return b.load() >= bAfter + 3; }));  // the other timer keeps firing
  std::this_thread::sleep_for(30ms);
  CHECK(a.load() == aAfter);
  s.cancel(idb);
}

TEST_CASE("scheduler: after cancel the callback is not running and never runs again", "[scheduler]") {
  Scheduler s;
  // Repeat so cancel lands both while the callback runs and between runs.
  for (int round = 0; round < 10; ++round) {
    std::atomic<int> fired{0};
    std::atomic<bool> running{false};
    auto id = s.every(1ms, [&] {
      running = true;
      std::this_thread::sleep_for(3ms);  // widen the window where cancel meets a running callback
      fired.fetch_add(1);
      running = false;
    });
    REQUIRE(waitFor([&] { return fired.load() >= 2; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(round % 4));
    s.cancel(id);
    INFO("round " << round);
    CHECK_FALSE(running.load());
    int after = fired.load();
    std::this_thread::sleep_for(round == 0 ? 100ms : 15ms);
    CHECK(fired.load() == after);
    CHECK_FALSE(running.load());
  }
}

TEST_CASE("scheduler: cancel of an unknown or already cancelled id returns", "[scheduler]") {
  Scheduler s;
  s.cancel(12345);
  auto id = s.every(10ms, [] {});
  s.cancel(id);
  s.cancel(id);
  SUCCEED();
}

TEST_CASE("scheduler: cancel from inside its own callback does not deadlock", "[scheduler]") {
  Scheduler s;
  std::atomic<Scheduler::TimerId> selfId{0};
  std::atomic<int> selfFired{0};
  std::atomic<bool> cancelReturned{false};
  std::atomic<int> other{0};
  s.every(5ms, [&] { other.fetch_add(1); });  // proves the scheduler thread is still alive

  auto id = s.every(5ms, [&] {
    Scheduler::TimerId me = selfId.load();
    if (me == 0) return;  // fired before the id was published; try again next period
    selfFired.fetch_add(1);
    s.cancel(me);
    cancelReturned = true;
  });
  selfId = id;

  REQUIRE(waitFor([&] { return cancelReturned.load(); }));
  int otherNow = other.load();
  CHECK(waitFor([&] { return other.load() >= otherNow + 3; }));  // scheduler not stuck
  std::this_thread::sleep_for(50ms);
  CHECK(selfFired.load() == 1);  // never ran again
  s.cancel(id);                  // cancelling again from outside is fine
}

TEST_CASE("scheduler: a callback may cancel another timer", "[scheduler]") {
  Scheduler s;
  std::atomic<int> victim{0};
  auto victimId = s.every(5ms, [&] { victim.fetch_add(1); });
  REQUIRE(waitFor([&] { return victim.load() >= 1; }));
  std::atomic<bool> done{false};
  auto killer = s.every(5ms, [&] {
    if (!done.exchange(true)) s.cancel(victimId);
  });
  REQUIRE(waitFor([&] { return done.load(); }));
  std::this_thread::sleep_for(20ms);  // a victim run already picked could not have started: one thread
  int v = victim.load();
  std::this_thread::sleep_for(50ms);
  CHECK(victim.load() == v);
  s.cancel(killer);
}

TEST_CASE("scheduler: a timer added while the scheduler sleeps is picked up promptly", "[scheduler]") {
  Scheduler s;
  // An idle scheduler sleeps up to 1 s; every() must wake it.
  std::this_thread::sleep_for(20ms);
  std::atomic<int> fired{0};
  auto start = std::chrono::steady_clock::now();
  auto id = s.every(10ms, [&] { fired.fetch_add(1); });
  REQUIRE(waitFor([&] { return fired.load() >= 1; }));
  // without a wake-up from every() the first run would come only after the idle wait (~1 s)
  CHECK(std::chrono::steady_clock::now() - start < 700ms);
  s.cancel(id);
}

TEST_CASE("scheduler: shutdown stops all timers", "[scheduler]") {
  std::atomic<int> fired{0};
  Scheduler s;
  s.every(2ms, [&] { fired.fetch_add(1); });
  REQUIRE(waitFor([&] { return fired.load() >= 2; }));
  s.shutdown();
  int n = fired.load();
  std::this_thread::sleep_for(30ms);
  CHECK(fired.load() == n);
  s.shutdown();  // idempotent; the destructor calls it again too
}
