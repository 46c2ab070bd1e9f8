// Tests for host/src/http/batch_queue: how a batch route's requests are grouped into calls.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/batch_queue.hpp"
#include "services/worker_pool.hpp"
#include "support/test_util.hpp"

using namespace codestats::host;
using codestats::host::test::waitFor;
using namespace std::chrono_literals;

namespace {

BatchOptions options(size_t maxBatch, std::chrono::microseconds wait, size_t inflight) {
  BatchOptions o;
  o.maxBatch = maxBatch;
  o.maxWait = wait;
  o.maxInflight = inflight;
  return o;
}

// Records the calls: how many items each carried, how many ran at once.
struct Recorder {
  std::mutex mu;
  std::vector<size_t> sizes;
  std::atomic<int> running{0}, maxRunning{0};
  std::chrono::milliseconds callTime{0};

  BatchQueue::CallFn fn() {
    return [this](std::vector<BatchItem*>& items, std::string&) {
      int now = ++running;
      for (int seen = maxRunning.load(); now > seen && !maxRunning.compare_exchange_weak(seen, now);) {
      }
      {
        std::lock_guard g(mu);
        sizes.push_back(items.size());
      }
      for (BatchItem* item : items) {
        item->resp.status = 201;
        item->resp.body = item->req.body;
      }
      std::this_thread::sleep_for(callTime);
      --running;
      return true;
    };
  }
};

}  // namespace

TEST_CASE("batch queue: every item is answered once, after its call returned", "[batch]") {
  WorkerPool pool(4);
  Recorder rec;
  rec.callTime = 2ms;
  auto q = std::make_shared<BatchQueue>(options(16, 200us, 2), rec.fn(), pool);
  constexpr int kThreads = 24, kEach = 20;
  std::atomic<int> answered{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        BatchItem item;
        item.req.body = std::to_string(t * 1000 + i);
        q->submitAndWait(item);
        if (item.failed || item.resp.status != 201 || item.resp.body != item.req.body) ++wrong;
        ++answered;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(answered == kThreads * kEach);
  CHECK(wrong == 0);
  size_t total = 0, largest = 0;
  for (size_t n : rec.sizes) {
    total += n;
    largest = std::max(largest, n);
  }
  CHECK(total == kThreads * kEach);   // no item in two calls
  CHECK(largest <= 16);               // max_batch holds
  CHECK(largest > 1);                 // concurrent items went together
  CHECK(rec.maxRunning.load() <= 2);  // max_inflight holds
  CHECK(q->stats().items == total);
  CHECK(q->stats().calls == rec.sizes.size());
}

TEST_CASE("batch queue: items queued while calls run go in the next call, up to max_batch", "[batch]") {
  // The first call holds its only slot until the 30 more are queued (a gate, not a sleep
  // that the 30 submits must fit in; the 30 s cap only ends a test that failed already).
  std::atomic<bool> gate{false};
  std::atomic<int> entered{0};
  WorkerPool pool(2);
  Recorder rec;
  auto record = rec.fn();
  auto q = std::make_shared<BatchQueue>(
      options(20, 0us, 1),
      [&](std::vector<BatchItem*>& items, std::string& error) {
        ++entered;
        for (int i = 0; i < 30000 && !gate; ++i) std::this_thread::sleep_for(1ms);
        return record(items, error);
      },
      pool);
  std::vector<std::unique_ptr<BatchItem>> items;
  std::atomic<int> done{0};
  for (int i = 0; i < 31; ++i) {
    items.push_back(std::make_unique<BatchItem>());
    items.back()->done = [&](BatchItem&) { ++done; };
  }
  q->submit(*items[0]);
  REQUIRE(waitFor([&] { return entered.load() == 1; }, 30s));
  for (int i = 1; i < 31; ++i) q->submit(*items[i]);
  gate = true;
  REQUIRE(waitFor([&] { return done.load() == 31; }, 30s));
  std::lock_guard g(rec.mu);
  CHECK(rec.sizes == std::vector<size_t>{1, 20, 10});
}

TEST_CASE("batch queue: a lone item waits up to max_wait for company", "[batch]") {
  WorkerPool pool(2);
  Recorder rec;
  auto q = std::make_shared<BatchQueue>(options(64, 300ms, 1), rec.fn(), pool);
  BatchItem a, b;
  std::atomic<int> done{0};
  a.done = b.done = [&](BatchItem&) { ++done; };
  const auto start = std::chrono::steady_clock::now();
  q->submit(a);
  std::this_thread::sleep_for(50ms);
  q->submit(b);  // arrives while the call collects: goes in the same call
  const bool bInTime = std::chrono::steady_clock::now() - start < 250ms;  // unless this thread was starved
  REQUIRE(waitFor([&] { return done.load() == 2; }, 30s));
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);
  std::lock_guard g(rec.mu);
  if (bInTime) CHECK(rec.sizes == std::vector<size_t>{2});
}

TEST_CASE("batch queue: a full batch does not wait for max_wait", "[batch]") {
  WorkerPool pool(2);
  Recorder rec;
  auto q = std::make_shared<BatchQueue>(options(3, 10s, 1), rec.fn(), pool);
  BatchItem a, b, c;
  std::atomic<int> done{0};
  a.done = b.done = c.done = [&](BatchItem&) { ++done; };
  q->submit(a);
  q->submit(b);
  q->submit(c);
  CHECK(waitFor([&] { return done.load() == 3; }, 5s));  // far less than the 10 s wait
}

TEST_CASE("batch queue: a failing or throwing call fails only its own items", "[batch]") {
  WorkerPool pool(2);
  std::atomic<int> calls{0};
  auto q = std::make_shared<BatchQueue>(
      options(1, 0us, 1),
      [&](std::vector<BatchItem*>& items, std::string& error) -> bool {
        int n = ++calls;
        if (items[0]->req.body == "throw") throw std::runtime_error("boom");
        if (items[0]->req.body == "fail") {
          error = "said no";
          return false;
        }
        (void)n;
        items[0]->resp.status = 200;
        return true;
      },
      pool);
  BatchItem thrower, failer, fine;
  thrower.req.body = "throw";
  failer.req.body = "fail";
  fine.req.body = "ok";
  q->submitAndWait(thrower);
  q->submitAndWait(failer);
  q->submitAndWait(fine);
  CHECK(thrower.failed);
  CHECK(thrower.error == "boom");
  CHECK(failer.failed);
  CHECK(failer.error == "said no");
  CHECK_FALSE(fine.failed);
  CHECK(fine.resp.status == 200);
  CHECK(calls == 3);
}

TEST_CASE("batch queue: with max_inflight 1 calls never overlap", "[batch]") {
  WorkerPool pool(4);
  std::atomic<int> running{0}, maxRunning{0};
  auto q = std::make_shared<BatchQueue>(
      options(4, 0us, 1),
      [&](std::vector<BatchItem*>&, std::string&) {
        int now = ++running;
        for (int seen = maxRunning.load(); now > seen && !maxRunning.compare_exchange_weak(seen, now);) {
        }
        std::this_thread::sleep_for(5ms);
        --running;
        return true;
      },
      pool);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        BatchItem item;
        q->submitAndWait(item);
      }
    });
  for (auto& th : threads) th.join();
  CHECK(maxRunning.load() == 1);
  CHECK(q->stats().items == 80);
  CHECK(q->stats().largestBatch <= 4);
}
