// Tests for host/src/services/kvstore.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "services/kv_store.hpp"

using namespace codestats::host;
using namespace std::chrono_literals;

TEST_CASE("kv: get, put, del", "[kv]") {
  KvStore kv;
  CHECK_FALSE(kv.get("m", "k").has_value());
  kv.put("m", "k", "v1", 0);
  REQUIRE(kv.get("m", "k").has_value());
  CHECK(*kv.get("m", "k") == "v1");

  kv.put("m", "k", "v2", 0);  // overwrite
  CHECK(*kv.get("m", "k") == "v2");
  CHECK(kv.size() == 1);

  CHECK(kv.del("m", "k"));
  CHECK_FALSE(kv.get("m", "k").has_value());
  CHECK_FALSE(kv.del("m", "k"));  // second delete reports nothing deleted
  CHECK(kv.size() == 0);
}

TEST_CASE("kv: empty and binary values and keys", "[kv]") {
  KvStore kv;
  kv.put("m", "", "", 0);
  REQUIRE(kv.get("m", "").has_value());
  CHECK(kv.get("m", "")->empty());
  std::string bin("a\0b\xff", 4);
  kv.put("m", bin, bin, 0);
  REQUIRE(kv.get("m", bin).has_value());
  CHECK(*kv.get("m", bin) == bin);
  CHECK_FALSE(kv.get("m", "a").has_value());
}

TEST_CASE("kv: namespaces are isolated", "[kv]") {
  KvStore kv;
  kv.put("ingest", "count", "1", 0);
  kv.put("web", "count", "2", 0);
  CHECK(*kv.get("ingest", "count") == "1");
  CHECK(*kv.get("web", "count") == "2");
  CHECK_FALSE(kv.get("mail", "count").has_value());
  CHECK(kv.size() == 2);

  CHECK(kv.del("web", "count"));
  CHECK(*kv.get("ingest", "count") == "1");
  CHECK_FALSE(kv.get("web", "count").has_value());

  CHECK(kv.incr("web", "count", 5) == 5);
  CHECK(*kv.get("ingest", "count") == "1");

  // the separator cannot be forged by concatenation: ("ab","c") differs from ("a","bc")
  kv.put("ab", "c", "x", 0);
  CHECK_FALSE(kv.get("a", "bc").has_value());
  CHECK_FALSE(kv.get("abc", "").has_value());
}

TEST_CASE("kv: ttl expiry", "[kv]") {
  KvStore kv;
  auto start = std::chrono::steady_clock::now();
  kv.put("m", "short", "gone", 30);
  auto early = kv.get("m", "short");
  if (std::chrono::steady_clock::now() - start < 25ms) CHECK(early.value_or("") == "gone");  // unless starved
  kv.put("m", "forever", "stays", 0);
  kv.put("m", "long", "stays", 60000);
  std::this_thread::sleep_for(80ms);
  CHECK_FALSE(kv.get("m", "short").has_value());
  CHECK(kv.get("m", "forever").value_or("") == "stays");
  CHECK(kv.get("m", "long").value_or("") == "stays");
  // the expired entry was dropped on read
  CHECK(kv.size() == 2);
}

TEST_CASE("kv: put without ttl clears a previous ttl", "[kv]") {
  KvStore kv;
  kv.put("m", "k", "a", 30);
  kv.put("m", "k", "b", 0);
  std::this_thread::sleep_for(80ms);
  CHECK(kv.get("m", "k").value_or("") == "b");
}

TEST_CASE("kv: incr", "[kv]") {
  KvStore kv;
  SECTION("from missing starts at zero") {
    CHECK(kv.incr("m", "n", 1) == 1);
    CHECK(*kv.get("m", "n") == "1");
    CHECK(kv.incr("m", "other", -3) == -3);
    CHECK(*kv.get("m", "other") == "-3");
  }
  SECTION("on an existing numeric value") {
    kv.put("m", "n", "41", 0);
    CHECK(kv.incr("m", "n", 1) == 42);
    CHECK(kv.incr("m", "n", -50) == -8);
    CHECK(kv.incr("m", "n", 0) == -8);
    CHECK(*kv.get("m", "n") == "-8");
  }
  SECTION("on a non-numeric value replaces it") {
    kv.put("m", "n", "hello", 0);
    CHECK(kv.incr("m", "n", 2) == 2);
    CHECK(*kv.get("m", "n") == "2");
  }
  SECTION("large values") {
    kv.put("m", "n", "9000000000000", 0);
    CHECK(kv.incr("m", "n", 1) == 9000000000001);
  }
  SECTION("on an expired key starts again from zero") {
    kv.put("m", "n", "100", 30);
    std::this_thread::sleep_for(80ms);
    CHECK(kv.incr("m", "n", 1) == 1);
    // and the incremented value is visible, not already expired
    CHECK(kv.get("m", "n").value_or("") == "1");
  }
  SECTION("on a live key with a ttl keeps counting") {
    kv.put("m", "n", "10", 60000);
    CHECK(kv.incr("m", "n", 5) == 15);
    CHECK(kv.get("m", "n").value_or("") == "15");
  }
}

TEST_CASE("kv: concurrent incr is exact", "[kv]") {
  KvStore kv;
  constexpr int kThreads = 8, kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&kv, t] {
      for (int i = 0; i < kPerThread; ++i) {
        kv.incr("m", "shared", 1);
        kv.incr("m", "own" + std::to_string(t), 2);
      }
    });
  for (auto& th : threads) th.join();
  CHECK(kv.get("m", "shared").value_or("") == std::to_string(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) CHECK(kv.get("m", "own" + std::to_string(t)).value_or("") == "20000");
  CHECK(kv.size() == kThreads + 1);
}

TEST_CASE("kv: size counts entries across shards and namespaces", "[kv]") {
  KvStore kv;
  CHECK(kv.size() == 0);
  for (int i = 0; i < 100; ++i) kv.put("a", "k" + std::to_string(i), "v", 0);
  for (int i = 0; i < 50; ++i) kv.put("b", "k" + std::to_string(i), "v", 0);
  CHECK(kv.size() == 150);
  kv.put("a", "k0", "other", 0);  // overwrite does not add
  CHECK(kv.size() == 150);
  for (int i = 0; i < 10; ++i) CHECK(kv.del("a", "k" + std::to_string(i)));
  CHECK(kv.size() == 140);
}

TEST_CASE("kv: bytes approximates payload", "[kv]") {
  KvStore kv;
  CHECK(kv.bytes() == 0);
  kv.put("ns", "key", std::string(1000, 'x'), 0);
  CHECK(kv.bytes() >= 1000 + 3);
  CHECK(kv.bytes() < 1100);
  kv.del("ns", "key");
  CHECK(kv.bytes() == 0);
}
