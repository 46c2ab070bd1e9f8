// The newest stretch of the event log that this host holds in memory, without a hole: every
// event numbered in (after, through] is in it. A reader whose cursor is inside it reads
// from memory (no SELECT, no decode); a reader outside it reads the database.
//
// It grows two ways:
// - a database read that starts inside it or right at its end (a read further ahead
//   replaces it: the reader knows nothing in between);
// - the events this host's own transactions appended, handed over after their commit
//   (the fast path): they join when their first number directly follows `through`.
//   Commits report in a different order than they committed, so a transaction that does
//   not follow yet waits in a small map until the ones before it report. Whether a hole
//   before it is this host's own (numbers appended by a transaction that has not reported
//   yet) or not is told apart: a hole nobody in this process will fill (another process's
//   commit: a second host, the old process during an upgrade; a number PostgreSQL burned in
//   a rollback) is filled only by a database read, which the readers then make.
// Contiguity by number is what makes this safe: numbers grow in commit order (SQLite: one
// writer; PostgreSQL: the log's lock, event_log.hpp), so a stretch whose numbers all follow
// each other cannot be missing an event that commits later.
//
// Bounded: pieces every reader has passed are dropped (dropThrough), and the oldest go
// when it holds more than `maxEvents`; a reader left behind reads the database.
// Not thread-safe: the EventBus guards it. No database here.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "events/event_consumer.hpp"
#include "events/event_frame.hpp"

namespace codestats::host::events {

class EventWindow {
 public:
  explicit EventWindow(size_t maxEvents = 16384, size_t maxWaiting = 256)
      : maxEvents_(maxEvents), maxWaiting_(maxWaiting) {}

  // The events after `after`, from the piece that holds them; nullopt when `after` is not
  // inside the window (a reader behind it, at its end, or the window still unknown).
  std::optional<LogSlice> sliceAfter(uint64_t after) const;

  // A database read of the rows after `after` (events, the highest row read, whether it
  // stopped at its row limit, the trim point it saw).
  void addRead(uint64_t after, const std::shared_ptr<const std::vector<LoggedEvent>>& events, uint64_t through,
               bool full, uint64_t trimmedThrough);

  // A transaction of this host drew numbers first..last (inside it, before its commit):
  // until it reports (addCommitted) or rolls back (abandon), a hole of these numbers is its.
  void appending(uint64_t first, uint64_t last);
  void abandon(uint64_t first);

  enum class Placed {
    joined,          // in the window now (directly or with the waiting ones before them)
    waitsForOwn,     // behind a hole of this host's own transactions, which will report
    waitsForOthers,  // behind a hole only a database read can fill
  };
  // One committed transaction's events of this host, numbered one after the other.
  Placed addCommitted(std::vector<LoggedEvent> events);

  // Drops the pieces and waiting transactions up to `seq` (every reader has passed it). The
  // window's end stays.
  void dropThrough(uint64_t seq);

  bool known() const { return known_; }
  uint64_t through() const { return through_; }
  size_t events() const { return events_; }
  size_t waiting() const { return waiting_.size(); }
  size_t appendingNow() const { return appending_.size(); }

 private:
  struct Piece {
    uint64_t after = 0, through = 0;
    bool full = false;
    uint64_t trimmedThrough = 0;
    std::shared_ptr<const std::vector<LoggedEvent>> events;
  };
  void append(Piece piece);
  void joinWaiting();  // the waiting transactions that now follow, in order; drops the passed ones
  void enforceCap();
  bool holeIsOwn(uint64_t before) const;  // every number in (through_, before) is this host's

  const size_t maxEvents_, maxWaiting_;
  std::deque<Piece> pieces_;  // pieces_[i].through == pieces_[i + 1].after
  bool known_ = false;        // through_ is set: everything up to it was seen
  uint64_t through_ = 0;
  size_t events_ = 0;
  std::map<uint64_t, std::vector<LoggedEvent>> waiting_;  // first number -> a transaction that does not follow yet
  std::map<uint64_t, uint64_t> appending_;                // first -> last number of an unreported transaction
};

}  // namespace codestats::host::events
