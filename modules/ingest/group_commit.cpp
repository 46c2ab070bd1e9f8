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
  ++inflight_;
  lock.unlock();
  Batch batch(*this);
  std::string failure;
  try {
    commit_(batch);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown error";
  }
  if (!failure.empty()) {
    for (Ticket* t : batch) {  // (takes the queued tickets if the callback failed before)
      t->ok = false;
      t->error = failure;
    }
  } else if (!batch.taken()) {
    batch.tickets();  // a callback that never looked: its tickets were not committed
    for (Ticket* t : batch) {
      t->ok = false;
      t->error = "batch not committed";
    }
  }
  lock.lock();
  self.leading = false;
  --inflight_;
  wakeNextLeader();
  lock.unlock();
  // Outside the committer's mutex: each owner wakes without contending for it.
  for (Ticket* t : batch.tickets_) signal(*t, &Ticket::finished);
  lock.lock();
}

void GroupCommitter::take(std::vector<Ticket*>& into) {
  std::lock_guard lock(mutex_);
  size_t n = std::min(queue_.size(), options_.batchMax);
  into.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    into.push_back(queue_.front());
    queue_.pop_front();
  }
  collecting_ = false;
  if (!into.empty()) {
    ++stats_.batches;
    stats_.tickets += into.size();
    if (into.size() > stats_.largestBatch) stats_.largestBatch = into.size();
  }
  wakeNextLeader();  // another waiter may start collecting the next batch
}

std::vector<Ticket*>& Batch::tickets() {
  if (!taken_) {
    taken_ = true;
    owner_.take(tickets_);
  }
  return tickets_;
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace codestats::ingest
