// The event log's tables and statements (docs/events.md): events appended inside the
// producer's transaction with a sequence number that grows in commit order, the consumers'
// cursors, and trimming. Host tables: no module writes them; modules may read
// codestats_events through the read contract "host.events" v1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"

namespace codestats::host::events {

struct PendingEvent {
  std::string topic;
  std::string producer;  // the module that appended it
  std::string payload;
};

struct LoggedEvent {
  uint64_t seq = 0;
  std::string topic;
  std::string payload;
  int64_t createdAtMs = 0;
};

struct TrimResult {
  int64_t removed = 0;
  uint64_t lostThrough = 0;  // > 0: a cursor was below what this trim removed (up to here)
};

class EventLog {
 public:
  // Creates the tables if missing (under the migrations' lock on PostgreSQL).
  static void createTables(db::Pool& pool);

  // Inside an open write transaction, just before its commit. PostgreSQL: takes the log's
  // transaction-level advisory lock first, so sequence numbers are handed out in commit
  // order (no reader can pass a lower number still uncommitted).
  static void append(db::Connection& c, db::Backend backend, const std::vector<PendingEvent>& events, int64_t nowMs);

  // Up to `limit` events after `after`, in sequence order; with the trim point (0: none) in
  // the same snapshot when asked for.
  static std::vector<LoggedEvent> read(db::Connection& c, uint64_t after, size_t limit,
                                       uint64_t* trimmedThrough = nullptr);
  // PostgreSQL, after a commit and outside any transaction: wakes every host's listener.
  // Not inside the appending transaction: NOTIFY takes a database-wide lock from the commit's
  // start to its end, which would serialise every commit that appends (measured: ingest's
  // commit 0.1 -> 1.0 ms).
  static void notify(db::Connection& c);
  static uint64_t head(db::Connection& c);
  // created_at of the first event after `after`; nullopt when there is none.
  static std::optional<int64_t> firstCreatedAfter(db::Connection& c, uint64_t after);

  // The consumer's cursor; created at the log's head when it has none.
  static uint64_t openCursor(db::Pool& pool, const std::string& consumer, int64_t nowMs);
  static void saveCursor(db::Pool& pool, const std::string& consumer, uint64_t seq, int64_t nowMs);

  // Removes what every live cursor (written within maxAgeMs) has passed, and whatever is
  // older than maxAgeMs; the newest event always stays (it keeps the sequence's position).
  // Records the trim point: a consumer whose cursor is below it lost events.
  static TrimResult trim(db::Pool& pool, int64_t nowMs, int64_t maxAgeMs);

  static constexpr const char* kChannel = "codestats_events";  // LISTEN/NOTIFY channel
};

}  // namespace codestats::host::events
