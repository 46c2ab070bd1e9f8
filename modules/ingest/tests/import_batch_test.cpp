// The pulse batches of ingest.import-pulses (import_batch.hpp).
#include <catch2/catch.hpp>

#include <stdexcept>

#include "import_batch.hpp"

using codestats::ingest::parsePulseBatch;

TEST_CASE("a pulse line with its xps", "[ingest][import]") {
  // 2020-09-01T12:00:00.123Z, local +120 min, two xps.
  auto b = parsePulseBatch("7 1 2 1598961600123 1598968800000 120 1598961601000 3 3 10 4 5 20\n");
  REQUIRE(b.size() == 1);
  const auto& p = b[0];
  CHECK(p.sourceId == 7);
  CHECK(p.userId == 1);
  CHECK(p.machineId == 2);
  CHECK(p.time.sentAtMs == 1598961600123);
  CHECK(p.time.tzOffset == 120);
  CHECK(p.time.localDay == 20200901);
  CHECK(p.time.localHour == 14);
  CHECK(p.insertedAtMs == 1598961601000);
  CHECK_FALSE(p.legacy);
  REQUIRE(p.xps.size() == 2);
  CHECK(p.xps[1].languageId == 4);
  CHECK(p.xps[1].originalLanguageId == 5);
  CHECK(p.xps[1].amount == 20);
}

TEST_CASE("legacy rows: no local time means UTC, as the original's cache read them", "[ingest][import]") {
  // 2016-12-31T23:30:00Z without sent_at_local and tz_offset.
  auto b = parsePulseBatch("1 1 1 1483227000000 - - 1483227000000 1 1 5\n2 1 1 1483227000000 - -60 1483227000000\n");
  REQUIRE(b.size() == 2);
  CHECK(b[0].legacy);
  CHECK(b[0].time.tzOffset == 0);
  CHECK(b[0].time.sentAtLocalMs == 1483227000000);
  CHECK(b[0].time.localDay == 20161231);
  CHECK(b[0].time.localHour == 23);
  // An offset without a local time shifts sent_at.
  CHECK(b[1].legacy);
  CHECK(b[1].time.tzOffset == -60);
  CHECK(b[1].time.localHour == 22);
  CHECK(b[1].xps.empty());
}

TEST_CASE("a local time before 1970 still has a day", "[ingest][import]") {
  auto b = parsePulseBatch("1 1 1 0 -3600000 -60 0\n");
  CHECK(b[0].time.localDay == 19691231);
  CHECK(b[0].time.localHour == 23);
}

TEST_CASE("malformed lines name their number", "[ingest][import]") {
  CHECK_THROWS_WITH(parsePulseBatch("1 1 1 0 - - 0\n1 x 1 0 - - 0\n"), Catch::Contains("line 2"));
  CHECK_THROWS_AS(parsePulseBatch("1 1 1\n"), std::invalid_argument);
  CHECK_THROWS_AS(parsePulseBatch("1 1 1 0 - - 0 1 1\n"), std::invalid_argument);
  CHECK_THROWS_AS(parsePulseBatch("- 1 1 0 - - 0\n"), std::invalid_argument);
}
