#include "group_commit.hpp"

#include <exception>

namespace codestats::ingest {
namespace {

template <class Flag>
void signal(Ticket& t, Flag flag) {
  std::lock_guard g(t.m);
  t.*flag = true;
  t.cv.notify_one();
}

}  // namespace

void GroupCommitter::submit(Ticket& ticket) {
  ticket.queuedAt = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  queue_.push_back(&ticket);
  if (collector_ && queue_.size() >= options_.batchMax) signal(*collector_, &Ticket::full);
  for (;;) {
    if (canLead()) lead(lock, ticket);
    lock.unlock();
    {
      std::unique_lock g(ticket.m);
      ticket.cv.wait(g, [&] { return ticket.finished || ticket.mayLead; });
      // Finished: the leader set it under ticket.m and touches the ticket no more.
      if (ticket.finished) return;
      ticket.mayLead = false;
    }
    lock.lock();
  }
}

// Called with the lock held whenever a leader slot may have become free: wakes one queued
// ticket that is not itself busy committing (it re-checks canLead() when it runs). A
// queued ticket is not finished, so it is alive while the lock is held.
void GroupCommitter::wakeNextLeader() {
  if (!canLead()) return;
  for (Ticket* t : queue_) {
    if (!t->leading) {
      signal(*t, &Ticket::mayLead);
      return;
    }
  }
}

void GroupCommitter::lead(std::unique_lock<std::mutex>& lock, Ticket& self) {
  collecting_ = true;
  self.leading = true;
  // Wait for company only when alone: tickets already queued arrived while the previous
  // batch committed, and the next arrivals will queue behind this batch the same way, so
  // waiting would leave the single writer idle (~10% fewer pulses/s at 64 connections).
  if (options_.batchWait.count() > 0 && queue_.size() == 1) {
    collector_ = &self;
    auto deadline = std::chrono::steady_clock::now() + options_.batchWait;
    lock.unlock();
    {
      std::unique_lock g(self.m);
      self.cv.wait_until(g, deadline, [&] { return self.full; });
    }
    lock.lock();
    collector_ = nullptr;  // nobody sets `full` any more
    std::lock_guard g(self.m);
    self.full = false;
  }
  std::vector<Ticket*> batch;
  size_t n = std::min(queue_.size(), options_.batchMax);
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    batch.push_back(queue_.front());
    queue_.pop_front();
  }
  collecting_ = false;
  ++inflight_;
  ++stats_.batches;
  stats_.tickets += batch.size();
  if (batch.size() > stats_.largestBatch) stats_.largestBatch = batch.size();
  wakeNextLeader();  // another waiter may start collecting the next batch
  lock.unlock();
  try {
    commit_(batch);
  } catch (const std::exception& e) {
    for (Ticket* t : batch) {
      t->ok = false;
      t->error = e.what();
    }
  } catch (...) {
    for (Ticket* t : batch) {
      t->ok = false;
      t->error = "unknown error";
    }
  }
  lock.lock();
  self.leading = false;
  --inflight_;
  wakeNextLeader();
  lock.unlock();
  // Outside the committer's mutex: each owner wakes without contending for it.
  for (Ticket* t : batch) signal(*t, &Ticket::finished);
  lock.lock();
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace codestats::ingest
