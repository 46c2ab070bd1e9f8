#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
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
  GroupCommitter gc(o, [&](Batch& batch) {
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
  GroupCommitter gc(GroupCommitter::Options{4, std::chrono::microseconds(0), 2}, [&](Batch& batch) {
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
  GroupCommitter gc(GroupCommitter::Options{4, std::chrono::microseconds(50), 3}, [&](Batch& batch) {
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

namespace {

// Blocks the commit callback until released, to line tickets up behind a batch.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock l(m);
    cv.wait(l, [&] { return open; });
  }
  void release() {
    std::lock_guard l(m);
    open = true;
    cv.notify_all();
  }
};

}  // namespace

TEST_CASE("group commit: a leader that finds tickets queued commits them without the batch wait", "[group]") {
  Gate gate;
  std::atomic<int> calls{0};
  std::vector<size_t> sizes;
  // A batch wait far longer than the test may take: only a leader alone may use it.
  GroupCommitter gc(GroupCommitter::Options{8, std::chrono::seconds(20), 1}, [&](Batch& batch) {
    size_t n = batch.size();  // takes the tickets now, then holds the first batch
    if (calls++ == 0) gate.wait();
    sizes.push_back(n);  // batches never overlap (max_inflight 1)
    for (Ticket* t : batch) t->ok = true;
  });
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  auto submitOne = [&] {
    threads.emplace_back([&] {
      Ticket t;
      gc.submit(t);
      CHECK(t.ok);
    });
  };
  // A lone first ticket waits for company; 7 more fill its batch (batch_max 8), whose
  // commit is then held at the gate.
  submitOne();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (int i = 0; i < 7; ++i) submitOne();
  while (gc.stats().batches < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // 5 tickets queue behind it; when it finishes, one of them leads and finds the others.
  for (int i = 0; i < 5; ++i) submitOne();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  gate.release();
  for (auto& t : threads) t.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK(sizes == std::vector<size_t>{8, 5});
}

TEST_CASE("group commit: a lone ticket waits up to batch_wait for company", "[group]") {
  std::vector<size_t> sizes;
  GroupCommitter gc(GroupCommitter::Options{64, std::chrono::seconds(2), 1}, [&](Batch& batch) {
    sizes.push_back(batch.size());
    for (Ticket* t : batch) t->ok = true;
  });
  std::thread a([&] {
    Ticket t;
    gc.submit(t);
    CHECK(t.ok);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Ticket b;
  gc.submit(b);  // joins the batch the first ticket is still collecting
  a.join();
  CHECK(b.ok);
  REQUIRE(sizes.size() == 1);
  CHECK(sizes[0] == 2);
}

TEST_CASE("group commit: a callback that looks at its batch late gets the tickets queued meanwhile", "[group]") {
  Gate writeLock;  // stands for the database's write lock, held by someone else at first
  std::vector<size_t> sizes;
  GroupCommitter gc(GroupCommitter::Options{64, std::chrono::microseconds(0), 1}, [&](Batch& batch) {
    if (sizes.empty()) writeLock.wait();
    sizes.push_back(batch.size());
    for (Ticket* t : batch) t->ok = true;
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      Ticket t;
      gc.submit(t);
      CHECK(t.ok);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the first one leads alone
  }
  writeLock.release();
  for (auto& t : threads) t.join();
  CHECK(sizes == std::vector<size_t>{6});
  CHECK(gc.stats().batches == 1);
}
