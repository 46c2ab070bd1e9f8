// Group commit on the request threads (no module-owned threads): every request enqueues a
// ticket and waits; a waiter becomes the leader when nobody is collecting and fewer than
// max_inflight batches are being committed, collects for up to batch_wait (or until
// batch_max tickets), then commits the batch through the callback with the lock released.
// Every ticket is answered only after the callback returned for its batch.
// Pure logic, no SDK.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace codestats::ingest {

struct Ticket {
  void* payload = nullptr;  // the caller's data, read by the commit callback
  bool done = false;        // set under the committer's lock
  bool ok = false;          // set by the callback
  std::string error;        // set by the callback when !ok
};

class GroupCommitter {
 public:
  struct Options {
    size_t batchMax = 256;
    std::chrono::microseconds batchWait{500};
    size_t maxInflight = 1;
  };
  // Commits a batch; sets ok/error on every ticket. An exception marks every ticket failed.
  using CommitFn = std::function<void(std::vector<Ticket*>& batch)>;

  GroupCommitter(Options options, CommitFn commit) : options_(options), commit_(std::move(commit)) {}

  // Blocks until the ticket's batch committed (or failed).
  void submit(Ticket& ticket);

  struct Stats {
    uint64_t batches = 0;
    uint64_t tickets = 0;
    size_t largestBatch = 0;
  };
  Stats stats() const;

 private:
  Options options_;
  CommitFn commit_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Ticket*> queue_;
  bool collecting_ = false;
  size_t inflight_ = 0;
  Stats stats_;
};

}  // namespace codestats::ingest
