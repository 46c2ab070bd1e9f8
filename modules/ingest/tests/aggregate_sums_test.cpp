#include <catch2/catch.hpp>

#include "aggregate_sums.hpp"

using namespace codestats::ingest;

TEST_CASE("aggregate sums: per key, in key order, pulses without xps count for the last pulse only", "[import]") {
  AggregateSums s;
  CHECK(s.empty());
  // user 7: two pulses on machine 3, one on machine 1; user 2: one pulse, then one without xps
  s.addXp(7, 40, 5);
  s.addXp(7, 41, 1);
  s.addPulse(7, 3, 20261206, 13, 1000, 6);
  s.addXp(7, 40, 2);
  s.addPulse(7, 3, 20261205, 13, 900, 2);
  s.addXp(7, 40, 4);
  s.addPulse(7, 1, 20261206, 9, 1100, 4);
  s.addXp(2, 41, 10);
  s.addPulse(2, 5, 20261206, 0, 500, 10);
  s.addPulse(2, 5, 20261207, 1, 600, 0);
  CHECK_FALSE(s.empty());
  CHECK(s.languages() == std::vector<AggregateRow>{{2, 41, 10}, {7, 40, 11}, {7, 41, 1}});
  CHECK(s.machines() == std::vector<AggregateRow>{{2, 5, 10}, {7, 1, 4}, {7, 3, 8}});
  CHECK(s.days() ==
        std::vector<AggregateRow>{{2, 20261206, 10}, {2, 20261207, 0}, {7, 20261205, 2}, {7, 20261206, 10}});
  CHECK(s.hours() == std::vector<AggregateRow>{{2, 0, 10}, {2, 1, 0}, {7, 9, 4}, {7, 13, 8}});
  CHECK(s.totals() == std::vector<UserTotal>{{2, 10, 600}, {7, 12, 1100}});
}

TEST_CASE("aggregate sums: a rebuild's rows leave the totals alone; negative xp is summed", "[import]") {
  AggregateSums s;
  s.addXp(1, 9, -3);
  s.addPulseRows(1, 2, 20200101, 23, -3);
  s.addXp(1, 9, 5);
  s.addPulseRows(1, 2, 20200101, 23, 5);
  CHECK(s.languages() == std::vector<AggregateRow>{{1, 9, 2}});
  CHECK(s.days() == std::vector<AggregateRow>{{1, 20200101, 2}});
  CHECK(s.totals().empty());
  s.addTotal(1, 77, 2);
  s.addTotal(1, 70, 0);
  CHECK(s.totals() == std::vector<UserTotal>{{1, 2, 77}});
  CHECK(s.machines() == std::vector<AggregateRow>{{1, 2, 2}});
}

TEST_CASE("a rebuild's passes: consecutive user ranges of at most the pulses per pass", "[import]") {
  using Counts = std::vector<std::pair<int64_t, int64_t>>;
  CHECK(splitUsers(Counts{}, 10).empty());
  CHECK(splitUsers(Counts{{1, 3}, {2, 3}, {5, 4}}, 10) == std::vector<UserRange>{{1, 5}});
  CHECK(splitUsers(Counts{{1, 3}, {2, 3}, {5, 4}, {6, 1}}, 10) == std::vector<UserRange>{{1, 5}, {6, 6}});
  // a user with more than a pass is a pass of its own, between the others
  CHECK(splitUsers(Counts{{1, 2}, {4, 25}, {8, 2}, {9, 2}}, 10) == std::vector<UserRange>{{1, 1}, {4, 4}, {8, 9}});
  CHECK(splitUsers(Counts{{3, 25}}, 10) == std::vector<UserRange>{{3, 3}});
}

TEST_CASE("a rebuild's pipeline: equal user id ranges", "[import]") {
  CHECK(evenUserRanges(1, 10000, 4) == std::vector<UserRange>{{1, 2500}, {2501, 5000}, {5001, 7500}, {7501, 10000}});
  CHECK(evenUserRanges(1, 10, 4) == std::vector<UserRange>{{1, 3}, {4, 6}, {7, 9}, {10, 10}});
  CHECK(evenUserRanges(5, 6, 4) == std::vector<UserRange>{{5, 5}, {6, 6}});
  CHECK(evenUserRanges(7, 7, 4) == std::vector<UserRange>{{7, 7}});
  CHECK(evenUserRanges(8, 7, 4).empty());
}
