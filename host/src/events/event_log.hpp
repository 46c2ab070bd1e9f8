// The event log's tables and statements (docs/events.md): events appended inside the
// producer's transaction with a sequence number that grows in commit order, the consumers'
// cursors, and trimming. Host tables: no module writes them; modules may read
// codestats_events through the read contract "host.events" v2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "events/event_frame.hpp"

namespace codestats::host::events {

struct LogRead {
  std::vector<LoggedEvent> events;
  uint64_t trimmedThrough = 0;  // the trim point in the same snapshot (0: none)
  bool full = false;            // the read stopped at its row limit: more may follow
  uint64_t through = 0;         // the highest row read (0: none): a reader may move its cursor there
  size_t undecodable = 0;       // rows left out because their columns do not hold their events
};

struct TrimResult {
  int64_t removed = 0;
  uint64_t lostThrough = 0;  // > 0: a cursor was below what this trim removed (up to here)
};

class EventLog {
 public:
  // Creates the tables if missing (under the migrations' lock on PostgreSQL).
  static void createTables(db::Pool& pool);

  // Inside an open write transaction, just before its commit: one row (a frame,
  // event_frame.hpp) per producer and up to kFrameEvents events. PostgreSQL: the same
  // statement takes the log's transaction-level advisory lock before it draws numbers, so
  // sequence numbers are handed out in commit order (no reader can pass a lower number
  // still uncommitted). Returns each event's number, in order.
  static std::vector<uint64_t> append(db::Connection& c, db::Backend backend, const std::vector<PendingEvent>& events,
                                      int64_t nowMs);

  // The events after `after` in sequence order, from at most `rows` rows, and the trim point.
  static LogRead read(db::Connection& c, uint64_t after, size_t rows);
  // PostgreSQL, after a commit and outside any transaction: wakes every host's listener.
  // Not inside the appending transaction: NOTIFY takes a database-wide lock from the commit's
  // start to its end, which would serialise every commit that appends (measured: ingest's
  // commit 0.1 -> 1.0 ms).
  // The payload names the sending host, so its own listener can ignore it.
  static void notify(db::Connection& c, const std::string& sender);
  // PostgreSQL: which log this is (database and schema of codestats_events).
  static std::string logIdentity(db::Connection& c);
  // The listening sessions of this log (application_name starting with `prefix`) other than
  // `ownListener`: the other hosts a NOTIFY is for.
  static int64_t otherListeners(db::Connection& c, const std::string& prefix, const std::string& ownListener);
  static uint64_t head(db::Connection& c);
  // created_at of the first event after `after`; nullopt when there is none.
  static std::optional<int64_t> firstCreatedAfter(db::Connection& c, uint64_t after);

  // The consumer's cursor; created at the log's head when it has none.
  static uint64_t openCursor(db::Pool& pool, const std::string& consumer, int64_t nowMs);
  static void saveCursor(db::Pool& pool, const std::string& consumer, uint64_t seq, int64_t nowMs);

  // Removes the rows whose events every live cursor (written within maxAgeMs) has passed, and whatever is
  // older than maxAgeMs; the newest event always stays (it keeps the sequence's position).
  // Records the trim point: a consumer whose cursor is below it lost events.
  static TrimResult trim(db::Pool& pool, int64_t nowMs, int64_t maxAgeMs);

  static constexpr const char* kChannel = "codestats_events";  // LISTEN/NOTIFY channel
  static constexpr size_t kFrameEvents = 256;                  // events per row at most
};

}  // namespace codestats::host::events
