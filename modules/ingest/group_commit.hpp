// Group commit on the request threads (no module-owned threads): every request enqueues a
// ticket and waits; a waiter becomes the leader when nobody is collecting and fewer than
// max_inflight batches are being committed. A leader alone in the queue collects for up to
// batch_wait (or until batch_max tickets); one that finds others queued does not wait. It
// then calls the commit callback with the lock released, and the batch's tickets (up to
// batch_max) are taken from the queue when the callback first looks at them: a callback
// that first waits for the database's write lock gets every ticket queued meanwhile, and
// the next leader may start collecting from then on. Every ticket is answered only after
// the callback returned for its batch.
// Wake-ups are targeted (a mutex and condition variable per ticket): a committed batch wakes
// only its own tickets, outside the committer's mutex, and a free leader slot wakes one
// queued ticket. Broadcasting every state change to all waiters cost ~6 context switches
// per pulse at 64 connections (bench/README.md).
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
  bool ok = false;          // set by the callback
  std::string error;        // set by the callback when !ok
  std::chrono::steady_clock::time_point queuedAt;  // set by submit(), for the queue-wait metric

  // Owned by GroupCommitter. `leading` is guarded by the committer's mutex; the rest by `m`,
  // which only this ticket's owner and the one thread signalling it ever take, so a
  // finished batch wakes its owners without them contending for the committer's mutex.
  bool leading = false;
  bool finished = false;  // its batch committed (or failed): the owner may return
  bool mayLead = false;   // a leader slot may be free: the owner re-checks
  bool full = false;      // (while collecting) the batch reached batch_max
  std::mutex m;
  std::condition_variable cv;
};

class GroupCommitter;

// The tickets of one batch, taken from the queue on first access (see above).
class Batch {
 public:
  std::vector<Ticket*>& tickets();
  size_t size() { return tickets().size(); }
  std::vector<Ticket*>::iterator begin() { return tickets().begin(); }
  std::vector<Ticket*>::iterator end() { return tickets().end(); }
  Ticket* operator[](size_t i) { return tickets()[i]; }
  bool taken() const { return taken_; }

 private:
  friend class GroupCommitter;
  explicit Batch(GroupCommitter& owner) : owner_(owner) {}
  GroupCommitter& owner_;
  bool taken_ = false;
  std::vector<Ticket*> tickets_;
};

class GroupCommitter {
 public:
  struct Options {
    size_t batchMax = 256;
    std::chrono::microseconds batchWait{500};
    size_t maxInflight = 1;
  };
  // Commits a batch; sets ok/error on every ticket. An exception marks every ticket failed.
  using CommitFn = std::function<void(Batch& batch)>;

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
  friend class Batch;
  bool canLead() const { return !collecting_ && inflight_ < options_.maxInflight && !queue_.empty(); }
  void lead(std::unique_lock<std::mutex>& lock, Ticket& self);
  void take(std::vector<Ticket*>& into);
  void wakeNextLeader();

  Options options_;
  CommitFn commit_;
  mutable std::mutex mutex_;
  std::deque<Ticket*> queue_;
  bool collecting_ = false;
  Ticket* collector_ = nullptr;  // the leader collecting a batch, woken when the batch is full
  size_t inflight_ = 0;
  Stats stats_;
};

}  // namespace codestats::ingest
