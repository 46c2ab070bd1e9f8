// Tests for host/src/services/worker_pool: WorkerPool and SerialQueue.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "support/test_util.hpp"
#include "services/worker_pool.hpp"

using namespace codestats::host;
using codestats::host::test::waitFor;
using namespace std::chrono_literals;

namespace {

void updateMax(std::atomic<int>& max, int v) {
  int cur = max.load();
  while (v > cur && !max.compare_exchange_weak(cur, v)) {
  }
}

}  // namespace

TEST_CASE("workers: every posted task runs", "[workers]") {
  std::atomic<int> ran{0};
  std::mutex mu;
  std::set<std::thread::id> threadIds;
  {
    WorkerPool pool(4);
    for (int i = 0; i < 5000; ++i)
      pool.post([&] {
        ran.fetch_add(1);
        std::lock_guard lock(mu);
        threadIds.insert(std::this_thread::get_id());
      });
    CHECK(waitFor([&] { return ran.load() == 5000; }));
  }  // destructor joins
  CHECK(ran.load() == 5000);
  CHECK(threadIds.count(std::this_thread::get_id()) == 0);  // never on the poster's thread
  CHECK(threadIds.size() <= 4);
}

TEST_CASE("workers: tasks run in parallel on several threads", "[workers]") {
  WorkerPool pool(4);
  std::latch allStarted(4);
  std::atomic<int> done{0};
  for (int i = 0; i < 4; ++i)
    pool.post([&] {
      allStarted.count_down();
      allStarted.wait();  // only completes if 4 tasks are running at once
      done.fetch_add(1);
    });
  CHECK(waitFor([&] { return done.load() == 4; }));
  pool.shutdown();
}

TEST_CASE("workers: shutdown runs the work still queued", "[workers]") {
  WorkerPool pool(1);
  std::latch release(1);
  std::atomic<int> ran{0};
  std::atomic<bool> firstStarted{false};
  pool.post([&] {
    firstStarted = true;
    release.wait();
  });
  for (int i = 0; i < 100; ++i) pool.post([&] { ran.fetch_add(1); });
  REQUIRE(waitFor([&] { return firstStarted.load(); }));
  CHECK(pool.queued() == 100);

  std::atomic<bool> shutdownReturned{false};
  std::thread stopper([&] {
    pool.shutdown();
    shutdownReturned = true;
  });
  std::this_thread::sleep_for(30ms);
  CHECK_FALSE(shutdownReturned.load());  // blocked on the running task
  release.count_down();
  stopper.join();
  CHECK(ran.load() == 100);
  CHECK(pool.queued() == 0);
  pool.shutdown();  // a second shutdown is harmless
}

TEST_CASE("workers: SerialQueue preserves order and runs one item at a time", "[workers]") {
  constexpr int kItems = 10000;
  WorkerPool pool(4);
  auto q = std::make_shared<SerialQueue>(pool, kItems);
  std::atomic<int> inFlight{0}, maxInFlight{0};
  std::mutex mu;
  std::vector<int> order;
  order.reserve(kItems);

  for (int i = 0; i < kItems; ++i) {
    bool ok = q->post([&, i] {
      updateMax(maxInFlight, inFlight.fetch_add(1) + 1);
      {
        std::lock_guard lock(mu);
        order.push_back(i);
      }
      if (i % 1000 == 0) std::this_thread::yield();  // give other pool threads a chance to interleave
      inFlight.fetch_sub(1);
    });
    REQUIRE(ok);
  }
  pool.shutdown();  // drains everything

  CHECK(maxInFlight.load() == 1);
  REQUIRE(order.size() == size_t(kItems));
  bool increasing = true;
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i] <= order[i - 1]) {
      increasing = false;
      INFO("order breaks at index " << i << ": " << order[i - 1] << " then " << order[i]);
      CHECK(increasing);
      break;
    }
  CHECK(increasing);
  CHECK(order.front() == 0);
  CHECK(order.back() == kItems - 1);
  CHECK(q->size() == 0);
}

TEST_CASE("workers: SerialQueue keeps each producer's order with several producers", "[workers]") {
  constexpr int kProducers = 4, kPerProducer = 2000;
  WorkerPool pool(4);
  auto q = std::make_shared<SerialQueue>(pool, kProducers * kPerProducer);
  std::atomic<int> inFlight{0}, maxInFlight{0};
  std::vector<std::vector<int>> seen(kProducers);  // guarded by the queue's serialisation

  std::atomic<int> rejected{0};  // Catch2 assertions are not thread-safe: count, check later
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p)
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i)
        if (!q->post([&, p, i] {
              updateMax(maxInFlight, inFlight.fetch_add(1) + 1);
              seen[p].push_back(i);
              inFlight.fetch_sub(1);
            }))
          rejected.fetch_add(1);
    });
  for (auto& t : producers) t.join();
  pool.shutdown();

  CHECK(rejected.load() == 0);

  CHECK(maxInFlight.load() == 1);
  for (int p = 0; p < kProducers; ++p) {
    REQUIRE(seen[p].size() == size_t(kPerProducer));
    CHECK(std::is_sorted(seen[p].begin(), seen[p].end()));
    CHECK(std::adjacent_find(seen[p].begin(), seen[p].end()) == seen[p].end());
  }
}

TEST_CASE("workers: two SerialQueues on one pool can run concurrently", "[workers]") {
  WorkerPool pool(2);
  auto a = std::make_shared<SerialQueue>(pool, 10);
  auto b = std::make_shared<SerialQueue>(pool, 10);
  std::latch both(2);
  std::atomic<int> done{0};
  auto item = [&] {
    both.count_down();
    both.wait();  // deadlocks (test times out) if the queues were serialised with each other
    done.fetch_add(1);
  };
  REQUIRE(a->post(item));
  REQUIRE(b->post(item));
  CHECK(waitFor([&] { return done.load() == 2; }));
  pool.shutdown();
}

TEST_CASE("workers: SerialQueue post returns false when full", "[workers]") {
  WorkerPool pool(1);
  auto q = std::make_shared<SerialQueue>(pool, 3);
  std::latch release(1);
  std::atomic<bool> firstStarted{false};
  std::atomic<int> ran{0};

  REQUIRE(q->post([&] {
    firstStarted = true;
    release.wait();
    ran.fetch_add(1);
  }));
  REQUIRE(waitFor([&] { return firstStarted.load(); }));
  CHECK(q->size() == 0);  // the running item no longer counts

  CHECK(q->post([&] { ran.fetch_add(1); }));
  CHECK(q->post([&] { ran.fetch_add(1); }));
  CHECK(q->post([&] { ran.fetch_add(1); }));
  CHECK(q->size() == 3);
  bool droppedRan = false;
  CHECK_FALSE(q->post([&] { droppedRan = true; }));
  CHECK_FALSE(q->post([&] { droppedRan = true; }));
  CHECK(q->size() == 3);

  release.count_down();
  REQUIRE(waitFor([&] { return ran.load() == 4; }));
  CHECK(q->size() == 0);
  // room again after draining
  CHECK(q->post([&] { ran.fetch_add(1); }));
  pool.shutdown();
  CHECK(ran.load() == 5);
  CHECK_FALSE(droppedRan);
}

TEST_CASE("workers: SerialQueue outlives its owner's handle while work is pending", "[workers]") {
  WorkerPool pool(2);
  std::atomic<int> ran{0};
  {
    auto q = std::make_shared<SerialQueue>(pool, 1000);
    for (int i = 0; i < 500; ++i) REQUIRE(q->post([&] { ran.fetch_add(1); }));
  }  // the pool's pending drain keeps the queue alive
  pool.shutdown();
  CHECK(ran.load() == 500);
}
