#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "group_commit.hpp"

using namespace codestats::ingest;

TEST_CASE("group commit: every ticket is answered after its batch committed", "[group]") {
  std::atomic<int> committed{0};
  std::atomic<int> concurrent{0}, maxConcurrent{0};
  GroupCommitter::Options o;
  o.batchMax = 8;
  o.batchWait = std::chrono::microseconds(200);
  o.maxInflight = 1;
  GroupCommitter gc(o, [&](std::vector<Ticket*>& batch) {
    int c = ++concurrent;
    int m = maxConcurrent;
    while (c > m && !maxConcurrent.compare_exchange_weak(m, c)) {
    }
    CHECK(batch.size() <= 8);
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    for (Ticket* t : batch) {
      *static_cast<int*>(t->payload) = 1;  // "committed"
      t->ok = true;
    }
    committed += static_cast<int>(batch.size());
    --concurrent;
  });
  constexpr int kThreads = 16, kEach = 50;
  std::atomic<int> answered{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < kEach; ++k) {
        int flag = 0;
        Ticket t;
        t.payload = &flag;
        gc.submit(t);
        if (!t.ok || flag != 1) ++wrong;
        ++answered;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK(answered == kThreads * kEach);
  CHECK(committed == kThreads * kEach);
  CHECK(maxConcurrent == 1);
  auto s = gc.stats();
  CHECK(s.tickets == kThreads * kEach);
  CHECK(s.batches < static_cast<uint64_t>(kThreads * kEach));  // some batching happened
  CHECK(s.largestBatch <= 8);
}

TEST_CASE("group commit: a throwing commit fails only its batch", "[group]") {
  std::atomic<int> calls{0};
  GroupCommitter gc(GroupCommitter::Options{4, std::chrono::microseconds(0), 2}, [&](std::vector<Ticket*>& batch) {
    if (calls++ == 0) throw std::runtime_error("boom");
    for (Ticket* t : batch) t->ok = true;
  });
  Ticket a;
  gc.submit(a);
  CHECK_FALSE(a.ok);
  CHECK(a.error == "boom");
  Ticket b;
  gc.submit(b);
  CHECK(b.ok);
}

TEST_CASE("group commit: several batches in flight, every ticket answered once", "[group]") {
  std::atomic<int> concurrent{0}, maxConcurrent{0}, committed{0};
  GroupCommitter gc(GroupCommitter::Options{4, std::chrono::microseconds(50), 3}, [&](std::vector<Ticket*>& batch) {
    int c = ++concurrent;
    int m = maxConcurrent;
    while (c > m && !maxConcurrent.compare_exchange_weak(m, c)) {
    }
    CHECK(batch.size() <= 4);
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    for (Ticket* t : batch) {
      ++*static_cast<int*>(t->payload);
      t->ok = true;
    }
    committed += static_cast<int>(batch.size());
    --concurrent;
  });
  constexpr int kThreads = 32, kEach = 40;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < kEach; ++k) {
        int count = 0;
        Ticket t;
        t.payload = &count;
        gc.submit(t);
        if (!t.ok || count != 1) ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK(committed == kThreads * kEach);
  CHECK(maxConcurrent <= 3);
  CHECK(gc.stats().tickets == kThreads * kEach);
}
