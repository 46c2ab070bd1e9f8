// Tokens, UUIDs, digests; the export CSV dialect; the rate-limit window.
#include <catch2/catch.hpp>

#include <map>

#include "csv.hpp"
#include "rate_limit.hpp"
#include "secrets.hpp"

using namespace codestats::web;

TEST_CASE("random tokens and UUIDs", "[web][secrets]") {
  CHECK(randomToken().size() == 43);
  CHECK(randomToken() != randomToken());
  std::string u = randomUuid();
  CHECK(isUuid(u));
  CHECK(u[14] == '4');
  CHECK_FALSE(isUuid("not-a-uuid"));
  CHECK_FALSE(isUuid("123e4567-e89b-12d3-a456-42661417400g"));
  CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(constantTimeEquals("a", "a"));
  CHECK_FALSE(constantTimeEquals("a", "b"));
  CHECK_FALSE(constantTimeEquals("a", "ab"));
}

TEST_CASE("CSV cells and rows as the original's export", "[web][csv]") {
  CHECK(csvRow({"a", "b;c", "d\"e", "f\ng"}) == "a;\"b;c\";\"d\"\"e\";\"f\ng\"\n");
  // spec §7.8 test vector: 2017-11-27 23:00:00Z, local +60 min.
  int64_t sentAt = 1511823600000;
  CHECK(formatUtc(sentAt) == "2017-11-27 23:00:00Z");
  CHECK(formatLocal(sentAt + 3600000) == "2017-11-28 00:00:00");
}

TEST_CASE("rate limit: N attempts per window, then a retry time", "[web][rate_limit]") {
  std::map<std::string, int64_t> counters;
  CounterIncr incr = [&](const std::string& k, uint32_t) { return ++counters[k]; };
  RateLimit limit{3, 60};
  int64_t retry = 0;
  int64_t t = 60'000LL * 16'666'666 + 20'000;  // 20 s into a minute window
  for (int i = 0; i < 3; ++i) CHECK(allowAttempt(incr, limit, "login", "1.2.3.4", t, retry));
  CHECK_FALSE(allowAttempt(incr, limit, "login", "1.2.3.4", t, retry));
  CHECK(retry == 40);
  CHECK(allowAttempt(incr, limit, "login", "5.6.7.8", t, retry));
  CHECK(allowAttempt(incr, limit, "login", "1.2.3.4", t + 40'000, retry));  // next window
  CHECK(allowAttempt(incr, RateLimit{0, 60}, "x", "y", t, retry));          // 0 = unlimited
}
