// The hand-over blob round-trips and rejects garbage.
#include <catch2/catch.hpp>

#include "state_codec.hpp"

using namespace codestats::cache;

TEST_CASE("state codec: a full state and a journal round-trip", "[cache]") {
  FullState s;
  s.users = {{1, "alice", false, 123, true}, {2, "bob", true, 456, false}};
  s.languages = {{3, "C++"}};
  UserAggregates a;
  a.userId = 1;
  a.total = 42;
  a.languages = {{3, 42}};
  a.days = {{20260101, 42}};
  a.hours[5] = 42;
  a.recent = {{9, 1000, 1, 3, 20260101, 42}};
  a.machineInfo = {{1, "laptop", false}};
  s.warm.push_back(a);
  s.frontpage.loaded = true;
  s.frontpage.total = 99;
  s.frontpage.minutes = {{100, {{3, 5}}}};
  s.warmupDone = true;
  DecodedState d = decodeState(encodeFull(s));
  REQUIRE_FALSE(d.isJournal);
  CHECK(d.full.users.size() == 2);
  CHECK(d.full.users[1].username == "bob");
  CHECK(d.full.users[1].isPrivate);
  CHECK(d.full.users[0].avatar);
  CHECK_FALSE(d.full.users[1].avatar);
  CHECK(d.full.languages[0].second == "C++");
  REQUIRE(d.full.warm.size() == 1);
  CHECK(d.full.warm[0].total == 42);
  CHECK(d.full.warm[0].hours[5] == 42);
  CHECK(d.full.warm[0].recent[0].pulseId == 9);
  CHECK(d.full.warm[0].machineInfo[0].name == "laptop");
  CHECK_FALSE(d.full.warm[0].machineInfo[0].active);
  CHECK(d.full.frontpage.total == 99);
  CHECK(d.full.warmupDone);

  Journal j = {{41, "pulse.created", "{\"x\":1}"}, {42, "user.deleted", "{}"}};
  DecodedState dj = decodeState(encodeJournal(j));
  REQUIRE(dj.isJournal);
  CHECK(dj.journal == j);
}

TEST_CASE("state codec: truncated or unknown blobs are rejected", "[cache]") {
  std::string full = encodeFull(FullState{});
  CHECK_THROWS(decodeState(full.substr(0, full.size() - 1)));
  CHECK_THROWS(decodeState("X"));
  CHECK_THROWS(decodeState(full + "x"));
}
