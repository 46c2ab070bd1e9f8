// Tests for host/src/events/event_window: the stretch of the log a host holds in memory,
// extended by its own commits (in any reporting order) and by database reads, never with
// a hole.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "events/event_window.hpp"

namespace ev = codestats::host::events;
using Placed = ev::EventWindow::Placed;

namespace {

// A transaction's events numbered first..last.
std::vector<ev::LoggedEvent> numbered(uint64_t first, uint64_t last) {
  std::vector<ev::LoggedEvent> out;
  for (uint64_t s = first; s <= last; ++s)
    out.push_back(ev::LoggedEvent{s, "t", "{\"n\":" + std::to_string(s) + "}", 1});
  return out;
}

std::shared_ptr<const std::vector<ev::LoggedEvent>> shared(std::vector<ev::LoggedEvent> events) {
  return std::make_shared<const std::vector<ev::LoggedEvent>>(std::move(events));
}

// What a reader at `cursor` gets from memory alone, slice after slice, until the window
// has nothing more for it; the cursor ends where the reader would have to read the database.
std::vector<uint64_t> readFromMemory(const ev::EventWindow& w, uint64_t& cursor) {
  std::vector<uint64_t> seqs;
  while (auto slice = w.sliceAfter(cursor)) {
    for (size_t i = slice->from; i < slice->events->size(); ++i) {
      seqs.push_back((*slice->events)[i].seq);
      cursor = (*slice->events)[i].seq;
    }
    cursor = std::max(cursor, slice->through);
  }
  return seqs;
}

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

}  // namespace

TEST_CASE("event window: unknown until a read, then extended by the host's commits", "[events]") {
  ev::EventWindow w;
  // Before any read it cannot tell what precedes a commit: nothing is served from memory.
  CHECK(w.addCommitted(numbered(11, 12)) == Placed::waitsForOthers);
  CHECK_FALSE(w.sliceAfter(10));
  // An empty read at 10 (nothing after it committed) anchors the window there; the commit
  // that waited follows directly and joins.
  w.addRead(10, shared({}), 0, false, 0);
  CHECK(w.known());
  CHECK(w.through() == 12);
  CHECK(w.waiting() == 0);
  CHECK(w.addCommitted(numbered(13, 15)) == Placed::joined);
  uint64_t cursor = 10;
  CHECK(readFromMemory(w, cursor) == range(11, 15));
  CHECK(cursor == 15);
  // The reader at the end gets nothing from memory: it must ask the database.
  CHECK_FALSE(w.sliceAfter(15));
  // The payloads are the committed ones, untouched.
  auto slice = w.sliceAfter(12);
  REQUIRE(slice);
  CHECK((*slice->events)[slice->from].payload == "{\"n\":13}");
}

TEST_CASE("event window: commits reported out of order are read once each, in order", "[events]") {
  std::mt19937 rng(16);
  for (int round = 0; round < 50; ++round) {
    ev::EventWindow w;
    w.addRead(0, shared({}), 0, false, 0);
    // 200 transactions of 1-5 events, numbered in commit order...
    std::vector<std::vector<ev::LoggedEvent>> txs;
    uint64_t next = 1;
    for (int t = 0; t < 200; ++t) {
      const uint64_t n = 1 + rng() % 5;
      txs.push_back(numbered(next, next + n - 1));
      next += n;
    }
    // ...reported in another order (each at most 20 places from its own), with a reader
    // reading from memory in between.
    std::vector<size_t> order(txs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (size_t i = 0; i + 1 < order.size(); ++i)
      std::swap(order[i], order[i + rng() % std::min<size_t>(20, order.size() - i)]);
    uint64_t cursor = 0;
    std::vector<uint64_t> seen;
    for (size_t i : order) {
      w.addCommitted(txs[i]);
      if (rng() % 3 == 0) {
        auto got = readFromMemory(w, cursor);
        seen.insert(seen.end(), got.begin(), got.end());
      }
    }
    auto got = readFromMemory(w, cursor);
    seen.insert(seen.end(), got.begin(), got.end());
    REQUIRE(seen == range(1, next - 1));
    CHECK(w.waiting() == 0);
  }
}

TEST_CASE("event window: another writer's commit leaves a hole only a read fills", "[events]") {
  ev::EventWindow w;
  w.addRead(0, shared({}), 0, false, 0);
  CHECK(w.addCommitted(numbered(1, 3)) == Placed::joined);
  // 4..5 are another process's; this host's 6..8 wait behind the hole.
  CHECK(w.addCommitted(numbered(6, 8)) == Placed::waitsForOthers);
  uint64_t cursor = 0;
  CHECK(readFromMemory(w, cursor) == range(1, 3));
  CHECK(cursor == 3);  // here the reader reads the database
  // The database read brings 4..8; the waiting transaction is covered by it and goes.
  w.addRead(3, shared(numbered(4, 8)), 8, false, 0);
  CHECK(w.waiting() == 0);
  CHECK(readFromMemory(w, cursor) == range(4, 8));
  // The host's next commit follows the read directly.
  CHECK(w.addCommitted(numbered(9, 9)) == Placed::joined);
  CHECK(readFromMemory(w, cursor) == range(9, 9));
  // A read that ends inside a waiting transaction (its row limit): the rest of it joins.
  CHECK(w.addCommitted(numbered(12, 15)) == Placed::waitsForOthers);
  w.addRead(9, shared(numbered(10, 13)), 13, true, 0);
  CHECK(w.through() == 15);
  CHECK(readFromMemory(w, cursor) == range(10, 15));
}

TEST_CASE("event window: reads ahead replace it, reads behind only add what it lacks", "[events]") {
  ev::EventWindow w;
  w.addRead(10, shared(numbered(11, 20)), 20, false, 0);
  // A reader further ahead (its cursor came from elsewhere): the window starts over there.
  w.addRead(30, shared(numbered(31, 35)), 35, false, 0);
  CHECK_FALSE(w.sliceAfter(20));
  uint64_t cursor = 30;
  CHECK(readFromMemory(w, cursor) == range(31, 35));
  // A reader behind it reads the database; only what lies past the window's end joins.
  w.addRead(25, shared(numbered(26, 38)), 38, false, 0);
  CHECK_FALSE(w.sliceAfter(25));
  CHECK(readFromMemory(w, cursor) == range(36, 38));
  // An empty read at the end changes nothing; one ahead of it moves the (empty) window there.
  w.addRead(38, shared({}), 0, false, 0);
  CHECK(w.through() == 38);
  w.addRead(50, shared({}), 0, false, 0);
  CHECK(w.through() == 50);
  CHECK(w.events() == 0);
  CHECK(w.addCommitted(numbered(51, 52)) == Placed::joined);
  // A read that stopped at its row limit says so: the reader asks again at its end.
  w.addRead(52, shared(numbered(53, 60)), 60, true, 0);
  auto last = w.sliceAfter(55);
  REQUIRE(last);
  CHECK(last->more);
  auto inner = w.sliceAfter(50);
  REQUIRE(inner);
  CHECK(inner->more);  // a piece follows
  CHECK(inner->through == 52);
  // The trim point a read saw comes with its piece (a reader below it lost events).
  w.addRead(60, shared(numbered(70, 71)), 71, false, 65);
  auto trimmed = w.sliceAfter(60);
  REQUIRE(trimmed);
  CHECK(trimmed->trimmedThrough == 65);
}

TEST_CASE("event window: bounded by what readers passed and a cap; numbers out of sequence stay out", "[events]") {
  ev::EventWindow w(/*maxEvents*/ 10, /*maxWaiting*/ 2);
  w.addRead(0, shared({}), 0, false, 0);
  for (uint64_t s = 1; s <= 20; s += 2) CHECK(w.addCommitted(numbered(s, s + 1)) == Placed::joined);
  // The cap: the oldest pieces went, the end stays.
  CHECK(w.events() == 10);
  CHECK(w.through() == 20);
  CHECK_FALSE(w.sliceAfter(9));  // the reader left behind reads the database
  CHECK(w.sliceAfter(10));
  // Dropped once every reader has passed them; the end stays known, so commits still join.
  w.dropThrough(16);
  CHECK(w.events() == 4);
  w.dropThrough(20);
  CHECK(w.events() == 0);
  CHECK(w.addCommitted(numbered(21, 21)) == Placed::joined);
  uint64_t cursor = 20;
  CHECK(readFromMemory(w, cursor) == range(21, 21));
  // Transactions waiting behind a hole nobody fills: only the newest few are kept.
  CHECK(w.addCommitted(numbered(30, 30)) == Placed::waitsForOthers);
  CHECK(w.addCommitted(numbered(32, 32)) == Placed::waitsForOthers);
  CHECK(w.addCommitted(numbered(34, 34)) == Placed::waitsForOthers);
  CHECK(w.waiting() == 2);
  w.dropThrough(32);  // every reader passed 32: only 34 still waits
  CHECK(w.waiting() == 1);
  // A transaction whose numbers do not follow each other is never placed from memory.
  CHECK(w.addCommitted({ev::LoggedEvent{22, "t", "{}", 1}, ev::LoggedEvent{24, "t", "{}", 1}}) ==
        Placed::waitsForOthers);
  CHECK(w.through() == 21);
  CHECK(w.waiting() == 1);
}

TEST_CASE("event window: a hole of the host's own unreported transactions is told from another writer's", "[events]") {
  ev::EventWindow w;
  w.addRead(0, shared({}), 0, false, 0);
  // Three transactions drew 1..2, 3..5 and 6..6; they report last to first.
  w.appending(1, 2);
  w.appending(3, 5);
  w.appending(6, 6);
  CHECK(w.addCommitted(numbered(6, 6)) == Placed::waitsForOwn);
  CHECK(w.addCommitted(numbered(3, 5)) == Placed::waitsForOwn);
  CHECK_FALSE(w.sliceAfter(0));
  CHECK(w.addCommitted(numbered(1, 2)) == Placed::joined);
  CHECK(w.appendingNow() == 0);
  uint64_t cursor = 0;
  CHECK(readFromMemory(w, cursor) == range(1, 6));
  // A transaction that rolled back after drawing 7..8: its hole is nobody's once abandoned
  // (SQLite gives the numbers again; PostgreSQL's sequence does not).
  w.appending(7, 8);
  w.abandon(7);
  CHECK(w.addCommitted(numbered(9, 9)) == Placed::waitsForOthers);
  // A hole partly own, partly another writer's: only a read fills it.
  w.addRead(6, shared(numbered(9, 9)), 9, false, 0);
  w.appending(12, 12);
  CHECK(w.addCommitted(numbered(13, 13)) == Placed::waitsForOthers);  // 10..11 are not this host's
}
