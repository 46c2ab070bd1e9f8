#include "events/event_log.hpp"

#include <algorithm>

#include "db/host_statements.hpp"

namespace codestats::host::events {
namespace {

using db::intValue;
using db::textValue;

// Held by an appending transaction from its first event to its commit: appends are
// serialised, so sequence numbers are handed out in commit order.
constexpr const char* kAppendLockSql = "SELECT pg_advisory_xact_lock(7165055919061229941)";

constexpr const char* kCreateEventsSqlite =
    "CREATE TABLE IF NOT EXISTS codestats_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, "
    "producer TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)";
constexpr const char* kCreateEventsPostgres =
    "CREATE TABLE IF NOT EXISTS codestats_events (seq BIGSERIAL PRIMARY KEY, topic TEXT NOT NULL, "
    "producer TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)";
constexpr const char* kCreateCursors =
    "CREATE TABLE IF NOT EXISTS codestats_event_cursors (consumer TEXT PRIMARY KEY, seq BIGINT NOT NULL, "
    "updated_at BIGINT NOT NULL)";
constexpr const char* kCreateTrim =
    "CREATE TABLE IF NOT EXISTS codestats_event_trim (id INTEGER PRIMARY KEY, through BIGINT NOT NULL)";

// Rows per INSERT: a batch is written as chunks of these sizes (largest first), so a
// connection prepares at most seven statement texts for appends.
constexpr size_t kChunkSizes[] = {64, 32, 16, 8, 4, 2, 1};

std::string insertSql(size_t rows) {
  std::string sql = "INSERT INTO codestats_events (topic, producer, payload, created_at) VALUES ";
  for (size_t r = 0; r < rows; ++r) {
    size_t p = r * 4;
    sql += (r ? ",($" : "($") + std::to_string(p + 1) + ",$" + std::to_string(p + 2) + ",$" + std::to_string(p + 3) +
           ",$" + std::to_string(p + 4) + ")";
  }
  return sql;
}

const std::string& insertSqlFor(size_t rows) {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> t(65);
    for (size_t n : kChunkSizes) t[n] = insertSql(n);
    return t;
  }();
  return texts[rows];
}

uint64_t asSeq(const db::Value& v) { return v.type == CS_VAL_NULL || v.i < 0 ? 0 : static_cast<uint64_t>(v.i); }

}  // namespace

void EventLog::createTables(db::Pool& pool) {
  auto conn = pool.acquireWriter();
  db::Transaction tx(*conn);
  const bool postgres = pool.backend() == db::Backend::Postgres;
  if (postgres) conn->query(db::kSchemaLockSql, nullptr, 0);
  conn->execScript(postgres ? kCreateEventsPostgres : kCreateEventsSqlite);
  conn->execScript(kCreateCursors);
  conn->execScript(kCreateTrim);
  tx.commit();
}

void EventLog::append(db::Connection& c, db::Backend backend, const std::vector<PendingEvent>& events, int64_t nowMs) {
  if (events.empty()) return;
  if (backend == db::Backend::Postgres) c.query(kAppendLockSql, nullptr, 0);
  std::vector<cs_value> params;
  size_t next = 0;
  for (size_t chunk : kChunkSizes) {
    while (events.size() - next >= chunk) {
      params.clear();
      for (size_t i = next; i < next + chunk; ++i) {
        params.push_back(textValue(events[i].topic));
        params.push_back(textValue(events[i].producer));
        params.push_back(textValue(events[i].payload));
        params.push_back(intValue(nowMs));
      }
      c.query(insertSqlFor(chunk), params.data(), params.size());
      next += chunk;
    }
  }
}

void EventLog::notify(db::Connection& c) { c.query("SELECT pg_notify('codestats_events', '')", nullptr, 0); }

std::vector<LoggedEvent> EventLog::read(db::Connection& c, uint64_t after, size_t limit, uint64_t* trimmedThrough) {
  // One round trip: the events, and the trim point as a row with seq 0 (never a real one).
  const cs_value p[] = {intValue(static_cast<int64_t>(after)), intValue(static_cast<int64_t>(limit))};
  db::ResultSet rs = c.query(
      "SELECT * FROM (SELECT seq, topic, payload, created_at FROM codestats_events WHERE seq > $1 ORDER BY seq "
      "LIMIT $2) e UNION ALL SELECT 0, '', '', through FROM codestats_event_trim WHERE id = 1",
      p, 2);
  std::vector<LoggedEvent> out;
  out.reserve(rs.rows());
  if (trimmedThrough) *trimmedThrough = 0;
  for (size_t r = 0; r < rs.rows(); ++r) {
    const uint64_t seq = asSeq(rs.at(r, 0));
    if (seq == 0) {
      if (trimmedThrough) *trimmedThrough = asSeq(rs.at(r, 3));
      continue;
    }
    out.push_back(LoggedEvent{seq, std::move(rs.cells[r * 4 + 1].s), std::move(rs.cells[r * 4 + 2].s), rs.at(r, 3).i});
  }
  std::sort(out.begin(), out.end(), [](const LoggedEvent& a, const LoggedEvent& b) { return a.seq < b.seq; });
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
  auto conn = pool.acquireWriter();
  const cs_value p[] = {textValue(consumer), intValue(static_cast<int64_t>(seq)), intValue(nowMs)};
  conn->query(
      "INSERT INTO codestats_event_cursors (consumer, seq, updated_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at",
      p, 3);
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
  result.removed = conn->query("DELETE FROM codestats_events WHERE seq <= $1", p, 1).affected;
  if (result.removed == 0) return result;
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
