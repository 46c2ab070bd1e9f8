// The queue of one batch route (ABI 1.3): requests that arrive while earlier calls run are
// handed to the module together, so that it can answer them with one transaction.
//
// Calls run on host threads (a WorkerPool), never on the threads that submit: the epoll front
// end hands requests over and goes on reading; a request thread (the Poco path) waits for
// its item. At most max_inflight calls run at once; a call takes at most max_batch items; an
// item that would be alone waits up to max_wait for company (the policy the ingest module's
// own group commit had: items queued while a call ran go together without waiting).
// A call that ends with more items queued takes the next batch on the same thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "abi/exchange.hpp"

namespace codestats::host {

class WorkerPool;

struct BatchOptions {
  size_t maxBatch = 256;
  std::chrono::microseconds maxWait{500};
  size_t maxInflight = 2;
};

// One request on its way through a batch route. The submitter fills req (and whatever it
// needs to finish: a lease on the module's generation, its connection) and `done`.
struct BatchItem {
  cs_http_req req;
  cs_http_resp resp;
  bool failed = false;  // the call returned non-OK or threw: answer 500
  std::string error;    // why (for the log)
  std::chrono::steady_clock::time_point queuedAt;
  // Called once, on the thread that ran the call, after the call returned. It may destroy
  // the item.
  std::function<void(BatchItem&)> done;
  virtual ~BatchItem() = default;
};

class BatchQueue : public std::enable_shared_from_this<BatchQueue> {
 public:
  // Runs the module's handler on items; returns false (and sets error) when the call failed.
  using CallFn = std::function<bool(std::vector<BatchItem*>& items, std::string& error)>;

  BatchQueue(BatchOptions options, CallFn call, WorkerPool& pool)
      : options_(options), call_(std::move(call)), pool_(pool) {}

  // Queues the item; item.done runs later on a pool thread. The item must stay alive until then.
  void submit(BatchItem& item);
  // For request threads: queues the item and blocks until its call returned.
  void submitAndWait(BatchItem& item);

  struct Stats {
    uint64_t calls = 0;
    uint64_t items = 0;
    size_t largestBatch = 0;
  };
  Stats stats() const;
  const BatchOptions& options() const { return options_; }

 private:
  void run();
  bool take(std::unique_lock<std::mutex>& lock, std::vector<BatchItem*>& batch);

  const BatchOptions options_;
  const CallFn call_;
  WorkerPool& pool_;
  mutable std::mutex mu_;
  std::condition_variable company_;  // a lone item's call waits here for more
  std::deque<BatchItem*> queue_;
  size_t running_ = 0;       // calls scheduled or running
  bool collecting_ = false;  // a call is waiting for company: new calls would split its batch
  Stats stats_;
};

}  // namespace codestats::host
