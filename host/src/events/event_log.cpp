#include "events/event_log.hpp"

#include <algorithm>

#include "db/host_statements.hpp"

namespace codestats::host::events {
namespace {

using db::intValue;
using db::textValue;

// A row is a frame of one transaction's events (event_frame.hpp): seq is the position of
// its last event, `events` how many it holds, `packed` their deflated payloads. Tables from
// before frames gain the columns (every old row holds one event, unpacked).
constexpr const char* kCreateEventsSqlite =
    "CREATE TABLE IF NOT EXISTS codestats_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, "
    "producer TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL, events INTEGER NOT NULL DEFAULT 1, "
    "packed BLOB)";
constexpr const char* kCreateEventsPostgres =
    "CREATE TABLE IF NOT EXISTS codestats_events (seq BIGSERIAL PRIMARY KEY, topic TEXT NOT NULL, "
    "producer TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL, events INTEGER NOT NULL DEFAULT 1, "
    "packed BYTEA)";
constexpr const char* kAddColumnsPostgres =
    "ALTER TABLE codestats_events ADD COLUMN IF NOT EXISTS events INTEGER NOT NULL DEFAULT 1, "
    "ADD COLUMN IF NOT EXISTS packed BYTEA";
constexpr const char* kAddEventsColumnSqlite =
    "ALTER TABLE codestats_events ADD COLUMN events INTEGER NOT NULL DEFAULT 1";
constexpr const char* kAddPackedColumnSqlite = "ALTER TABLE codestats_events ADD COLUMN packed BLOB";
constexpr const char* kCreateCursors =
    "CREATE TABLE IF NOT EXISTS codestats_event_cursors (consumer TEXT PRIMARY KEY, seq BIGINT NOT NULL, "
    "updated_at BIGINT NOT NULL)";
constexpr const char* kCreateTrim =
    "CREATE TABLE IF NOT EXISTS codestats_event_trim (id INTEGER PRIMARY KEY, through BIGINT NOT NULL)";

// PostgreSQL, one statement: the materialised CTE takes the advisory lock (held to the
// commit) before the row that draws the numbers exists, so numbers follow commit order. The
// frame's n numbers are drawn at once: nextval gives the first, setval moves the sequence to
// the last, which is the row's seq. Only appends, all under the lock, touch the sequence.
constexpr const char* kAppendPostgres =
    "WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(7165055919061229941)) "
    "INSERT INTO codestats_events (seq, events, topic, producer, payload, created_at, packed) "
    "SELECT setval('codestats_events_seq_seq', nextval('codestats_events_seq_seq') + $1::bigint - 1), $1::bigint, "
    "$2, $3, $4, $5, $6 FROM lock RETURNING seq";
// SQLite: one writer, so the next numbers follow the highest ever given (sqlite_sequence
// keeps it even if the newest rows were deleted by hand; trimming always keeps the newest).
constexpr const char* kAppendSqlite =
    "INSERT INTO codestats_events (seq, events, topic, producer, payload, created_at, packed) VALUES ("
    "(SELECT MAX(s) FROM (SELECT COALESCE(MAX(seq), 0) AS s FROM codestats_events UNION ALL "
    "SELECT seq FROM sqlite_sequence WHERE name = 'codestats_events')) + $1, $1, $2, $3, $4, $5, $6) RETURNING seq";

uint64_t asSeq(const db::Value& v) { return v.type == CS_VAL_NULL || v.i < 0 ? 0 : static_cast<uint64_t>(v.i); }

}  // namespace

void EventLog::createTables(db::Pool& pool) {
  auto conn = pool.acquireWriter();
  db::Transaction tx(*conn);
  const bool postgres = pool.backend() == db::Backend::Postgres;
  if (postgres) conn->query(db::kSchemaLockSql, nullptr, 0);
  conn->execScript(postgres ? kCreateEventsPostgres : kCreateEventsSqlite);
  if (postgres) {
    conn->execScript(kAddColumnsPostgres);
  } else {
    auto has = [&](const char* column) {
      const cs_value p[] = {textValue(column)};
      return conn->query("SELECT COUNT(*) FROM pragma_table_info('codestats_events') WHERE name = $1", p, 1)
                 .at(0, 0)
                 .i > 0;
    };
    if (!has("events")) conn->execScript(kAddEventsColumnSqlite);
    if (!has("packed")) conn->execScript(kAddPackedColumnSqlite);
  }
  conn->execScript(kCreateCursors);
  conn->execScript(kCreateTrim);
  tx.commit();
}

std::vector<uint64_t> EventLog::append(db::Connection& c, db::Backend backend, const std::vector<PendingEvent>& events,
                                       int64_t nowMs) {
  const char* sql = backend == db::Backend::Postgres ? kAppendPostgres : kAppendSqlite;
  std::vector<uint64_t> numbers;
  numbers.reserve(events.size());
  for (size_t first = 0; first < events.size();) {
    size_t count = 1;
    while (first + count < events.size() && count < kFrameEvents &&
           events[first + count].producer == events[first].producer)
      ++count;
    EncodedFrame frame = encodeFrame(events, first, count);
    cs_value packed{};
    packed.type = CS_VAL_NULL;
    if (!frame.packed.empty()) {
      packed.type = CS_VAL_BLOB;
      packed.s = cs_str{frame.packed.data(), frame.packed.size()};
    }
    const cs_value p[] = {intValue(static_cast<int64_t>(count)),
                          textValue(frame.topic),
                          textValue(events[first].producer),
                          textValue(frame.payload),
                          intValue(nowMs),
                          packed};
    db::ResultSet rs = c.query(sql, p, 6);
    const uint64_t last = rs.rows() ? asSeq(rs.at(0, 0)) : 0;
    if (last < count) throw db::DbError(db::DbError::Kind::Generic, "event log: an append returned no number");
    for (uint64_t seq = last - count + 1; seq <= last; ++seq) numbers.push_back(seq);
    first += count;
  }
  return numbers;
}

void EventLog::notify(db::Connection& c, const std::string& sender) {
  const cs_value p[] = {textValue(sender)};
  c.query("SELECT pg_notify('codestats_events', $1)", p, 1);
}

std::string EventLog::logIdentity(db::Connection& c) {
  db::ResultSet rs = c.query(
      "SELECT current_database() || '.' || n.nspname FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
      "WHERE t.oid = 'codestats_events'::regclass",
      nullptr, 0);
  return rs.rows() ? rs.at(0, 0).s : std::string();
}

int64_t EventLog::otherListeners(db::Connection& c, const std::string& prefix, const std::string& ownListener) {
  const cs_value p[] = {textValue(prefix), textValue(ownListener)};
  db::ResultSet rs = c.query(
      "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND starts_with(application_name, $1) "
      "AND application_name <> $2",
      p, 2);
  return rs.rows() ? rs.at(0, 0).i : 0;
}

LogRead EventLog::read(db::Connection& c, uint64_t after, size_t rows) {
  // One round trip: the rows, and the trim point as a row with seq 0 (never a real one).
  const cs_value p[] = {intValue(static_cast<int64_t>(after)), intValue(static_cast<int64_t>(rows))};
  db::ResultSet rs = c.query(
      "SELECT * FROM (SELECT seq, events, topic, payload, created_at, packed FROM codestats_events WHERE seq > $1 "
      "ORDER BY seq LIMIT $2) e UNION ALL SELECT 0, 0, '', '', through, NULL FROM codestats_event_trim WHERE id = 1",
      p, 2);
  LogRead out;
  std::vector<std::pair<uint64_t, size_t>> order;  // (seq, result row): UNION ALL keeps no order
  order.reserve(rs.rows());
  for (size_t r = 0; r < rs.rows(); ++r) {
    const uint64_t seq = asSeq(rs.at(r, 0));
    if (seq == 0) out.trimmedThrough = asSeq(rs.at(r, 4));
    else order.emplace_back(seq, r);
  }
  std::sort(order.begin(), order.end());
  out.full = order.size() == rows;
  out.through = order.empty() ? 0 : order.back().first;
  out.events.reserve(order.size());
  for (const auto& [seq, r] : order) {
    const size_t before = out.events.size();
    const db::Value& packed = rs.at(r, 5);
    if (!decodeFrame(seq, rs.at(r, 1).i, std::move(rs.cells[r * 6 + 2].s), std::move(rs.cells[r * 6 + 3].s),
                     packed.type == CS_VAL_NULL ? std::string_view() : std::string_view(packed.s), rs.at(r, 4).i,
                     out.events)) {
      ++out.undecodable;
      continue;
    }
    // A frame can straddle the cursor: its events up to `after` were delivered already.
    auto firstNew = std::find_if(out.events.begin() + static_cast<std::ptrdiff_t>(before), out.events.end(),
                                 [after](const LoggedEvent& e) { return e.seq > after; });
    out.events.erase(out.events.begin() + static_cast<std::ptrdiff_t>(before), firstNew);
  }
  return out;
}

uint64_t EventLog::head(db::Connection& c) {
  db::ResultSet rs = c.query("SELECT MAX(seq) FROM codestats_events", nullptr, 0);
  return rs.rows() ? asSeq(rs.at(0, 0)) : 0;
}

std::optional<int64_t> EventLog::firstCreatedAfter(db::Connection& c, uint64_t after) {
  const cs_value p[] = {intValue(static_cast<int64_t>(after))};
  db::ResultSet rs = c.query("SELECT created_at FROM codestats_events WHERE seq > $1 ORDER BY seq LIMIT 1", p, 1);
  if (!rs.rows()) return std::nullopt;
  return rs.at(0, 0).i;
}

uint64_t EventLog::openCursor(db::Pool& pool, const std::string& consumer, int64_t nowMs) {
  auto conn = pool.acquireWriter();
  db::Transaction tx(*conn);
  const cs_value key[] = {textValue(consumer)};
  db::ResultSet rs = conn->query("SELECT seq FROM codestats_event_cursors WHERE consumer = $1", key, 1);
  uint64_t seq = 0;
  if (rs.rows()) {
    seq = asSeq(rs.at(0, 0));
  } else {
    seq = head(*conn);
    const cs_value p[] = {textValue(consumer), intValue(static_cast<int64_t>(seq)), intValue(nowMs)};
    conn->query(
        "INSERT INTO codestats_event_cursors (consumer, seq, updated_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (consumer) DO NOTHING",
        p, 3);
  }
  tx.commit();
  return seq;
}

void EventLog::saveCursor(db::Pool& pool, const std::string& consumer, uint64_t seq, int64_t nowMs) {
  // Committed without waiting for its sync (SQLite): a statement outside a transaction would
  // hold the one writer through an fdatasync, stalling every ingest batch behind it, once a
  // second per reader. A cursor write a crash loses only delivers the events after the
  // previous one again (at least once); the next synced commit covers it.
  auto conn = pool.acquireWriter();
  const cs_value p[] = {textValue(consumer), intValue(static_cast<int64_t>(seq)), intValue(nowMs)};
  conn->begin();
  db::finishTransaction(*conn, [&] {
    conn->query(
        "INSERT INTO codestats_event_cursors (consumer, seq, updated_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at",
        p, 3);
  });
}

TrimResult EventLog::trim(db::Pool& pool, int64_t nowMs, int64_t maxAgeMs) {
  TrimResult result;
  auto conn = pool.acquireWriter();
  db::Transaction tx(*conn);
  const uint64_t top = head(*conn);
  if (top == 0) return result;
  const cs_value cutoff[] = {intValue(nowMs - maxAgeMs)};
  db::ResultSet live = conn->query("SELECT MIN(seq) FROM codestats_event_cursors WHERE updated_at >= $1", cutoff, 1);
  uint64_t through = live.rows() && live.at(0, 0).type != CS_VAL_NULL ? asSeq(live.at(0, 0)) : top;
  db::ResultSet old = conn->query("SELECT MAX(seq) FROM codestats_events WHERE created_at < $1", cutoff, 1);
  through = std::max(through, old.rows() ? asSeq(old.at(0, 0)) : 0);  // the age cap
  if (through >= top) through = top - 1;                              // the newest event stays
  if (through == 0) return result;
  const cs_value p[] = {intValue(static_cast<int64_t>(through))};
  db::ResultSet removed = conn->query("SELECT COALESCE(SUM(events), 0) FROM codestats_events WHERE seq <= $1", p, 1);
  if (conn->query("DELETE FROM codestats_events WHERE seq <= $1", p, 1).affected == 0) return result;
  result.removed = removed.rows() ? removed.at(0, 0).i : 0;
  // The trim point: a cursor below it (a consumer that lagged past the cap, or one whose
  // host was away that long) has lost the events up to it.
  conn->query(
      "INSERT INTO codestats_event_trim (id, through) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET through = "
      "CASE WHEN excluded.through > codestats_event_trim.through THEN excluded.through "
      "ELSE codestats_event_trim.through END",
      p, 1);
  db::ResultSet behind = conn->query("SELECT COUNT(*) FROM codestats_event_cursors WHERE seq < $1", p, 1);
  if (behind.rows() && behind.at(0, 0).i > 0) result.lostThrough = through;
  tx.commit();
  return result;
}

}  // namespace codestats::host::events
