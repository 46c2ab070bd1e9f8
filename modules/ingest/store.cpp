#include "store.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "common/ascii.hpp"
#include "pulse_body.hpp"

namespace codestats::ingest {
namespace {

template <typename Q>
LanguageRef languageWith(Q& q, const std::string& name) {
  std::string lower = common::lowerAscii(name);
  auto find = [&]() -> std::optional<LanguageRef> {
    Rows r = q.query(
        "SELECT l.id, l.name, l.alias_of, a.name FROM languages l LEFT JOIN languages a ON a.id = l.alias_of "
        "WHERE l.name_lower = $1",
        {lower});
    if (r.empty()) return std::nullopt;
    LanguageRef ref;
    ref.id = r[0].i64(0);
    ref.name = std::string(r[0].text(1));
    if (!r[0].isNull(2) && !r[0].isNull(3)) {
      ref.effectiveId = r[0].i64(2);
      ref.effectiveName = std::string(r[0].text(3));
    } else {
      ref.effectiveId = ref.id;
      ref.effectiveName = ref.name;
    }
    return ref;
  };
  if (auto hit = find()) return *hit;
  int64_t nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  q.query(
      "INSERT INTO languages (name, name_lower, inserted_at) VALUES ($1, $2, $3) ON CONFLICT (name_lower) DO NOTHING",
      {name, lower, nowMs});
  if (auto hit = find()) return *hit;
  throw Error(CS_E_DB, "language '" + name + "' could not be created");
}

// userFilter is "" or " WHERE p.user_id = $1"; the DELETEs use the same parameter.
void deleteAggregates(Tx& tx, const std::string& userFilter, const std::vector<Param>& params) {
  std::string del = userFilter.empty() ? "" : " WHERE user_id = $1";
  for (const char* t : {"user_language_xps", "user_machine_xps", "user_day_xps", "user_hour_xps", "user_totals"})
    tx.query(std::string("DELETE FROM ") + t + del, params);
}

void insertSumsBySql(Tx& tx, const std::string& userFilter, const std::vector<Param>& params) {
  std::string from = " FROM pulses p JOIN xps x ON x.pulse_id = p.id" + userFilter;
  // In key order: PostgreSQL's hash aggregation would scatter a user's rows over the heap
  // (a cache load of 50 users then read 3,246 pages for 5,000 day rows); SQLite's sorter
  // gives this order anyway.
  tx.query("INSERT INTO user_language_xps (user_id, language_id, xp) SELECT p.user_id, x.language_id, SUM(x.amount)" +
               from + " GROUP BY p.user_id, x.language_id ORDER BY 1, 2",
           params);
  tx.query("INSERT INTO user_machine_xps (user_id, machine_id, xp) SELECT p.user_id, p.machine_id, SUM(x.amount)" +
               from + " GROUP BY p.user_id, p.machine_id ORDER BY 1, 2",
           params);
  tx.query("INSERT INTO user_day_xps (user_id, day, xp) SELECT p.user_id, p.local_day, SUM(x.amount)" + from +
               " GROUP BY p.user_id, p.local_day ORDER BY 1, 2",
           params);
  tx.query("INSERT INTO user_hour_xps (user_id, hour, xp) SELECT p.user_id, p.local_hour, SUM(x.amount)" + from +
               " GROUP BY p.user_id, p.local_hour ORDER BY 1, 2",
           params);
}

// The total is the sum of the language rows just written (the same xps): a second join
// of xps and pulses per user took 9 of the 14 s of rebuilding 1M pulses on SQLite. The last
// pulse comes from the pulses (one without xps counts too).
void insertTotals(Tx& tx, const std::string& userFilter, const std::vector<Param>& params) {
  tx.query(
      "INSERT INTO user_totals (user_id, xp, last_pulse_at) SELECT p.user_id, "
      "COALESCE((SELECT SUM(l.xp) FROM user_language_xps l WHERE l.user_id = p.user_id), 0), "
      "MAX(p.sent_at) FROM pulses p" +
          userFilter + " GROUP BY p.user_id ORDER BY 1",
      params);
}

}  // namespace

std::optional<MachineAuth> findActiveMachine(Host& host, const std::string& username, int64_t machineId) {
  Rows r = host.query(
      "SELECT u.id, u.username, u.private_profile, m.id, m.name, m.api_salt FROM users u JOIN machines m ON m.user_id "
      "= "
      "u.id WHERE u.username = $1 AND m.id = $2 AND m.active = 1",
      {username, machineId});
  if (r.empty()) return std::nullopt;
  MachineAuth a;
  a.userId = r[0].i64(0);
  a.username = std::string(r[0].text(1));
  a.privateProfile = r[0].i64(2) != 0;
  a.machineId = r[0].i64(3);
  a.machineName = std::string(r[0].text(4));
  a.apiSalt = std::string(r[0].text(5));
  return a;
}

LanguageRef getOrCreateLanguage(Host& host, const std::string& name) { return languageWith(host, name); }
LanguageRef getOrCreateLanguage(Tx& tx, const std::string& name) { return languageWith(tx, name); }

const std::string& multiRowSql(const char* head, const char* tail, size_t width, size_t rows) {
  static std::mutex mutex;
  static std::map<std::tuple<const char*, const char*, size_t>, std::string> texts;  // by literal address
  std::lock_guard lock(mutex);
  std::string& sql = texts[{head, tail, rows}];
  if (sql.empty()) {
    sql = head;
    size_t n = 1;
    for (size_t r = 0; r < rows; ++r) {
      sql += r ? ",(" : "(";
      for (size_t c = 0; c < width; ++c) sql += (c ? ",$" : "$") + std::to_string(n++);
      sql += ")";
    }
    sql += tail;
  }
  return sql;  // std::map nodes never move
}

// PostgreSQL: the same INSERT as one statement whatever the row count, its columns passed
// as arrays (head without its "VALUES ", then SELECT * FROM unnest($1, $2, ...), tail). Rows
// keep their order, so the aggregates' keys are still locked in key order.
static const std::string& unnestSql(const char* head, const char* tail, size_t width) {
  static std::mutex mutex;
  static std::map<std::pair<const char*, const char*>, std::string> texts;  // by literal address
  std::lock_guard lock(mutex);
  std::string& sql = texts[{head, tail}];
  if (sql.empty()) {
    std::string_view h(head);
    constexpr std::string_view kValues = "VALUES ";
    if (h.size() >= kValues.size() && h.substr(h.size() - kValues.size()) == kValues) h.remove_suffix(kValues.size());
    sql.assign(h);
    sql += "SELECT * FROM unnest(";
    for (size_t c = 0; c < width; ++c) sql += (c ? ", CAST($" : "CAST($") + std::to_string(c + 1) + " AS BIGINT[])";
    sql += ")";
    sql += tail;
  }
  return sql;
}

std::vector<int64_t> insertRows(Tx& tx, const char* head, const char* tail, size_t width,
                                const std::vector<Param>& values, bool postgres) {
  std::vector<int64_t> returned;
  auto collect = [&](const Rows& r) {
    for (size_t i = 0; i < r.size(); ++i) returned.push_back(r[i].i64(0));
  };
  size_t rows = values.size() / width, done = 0;
  if (rows == 0) return returned;
  if (postgres &&
      std::all_of(values.begin(), values.end(), [](const Param& v) { return v.raw().type == CS_VAL_INT; })) {
    std::vector<std::string> columns(width, "{");
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < width; ++c) {
        if (r) columns[c] += ',';
        columns[c] += std::to_string(values[r * width + c].raw().i);
      }
    std::vector<Param> arrays;
    arrays.reserve(width);
    for (std::string& col : columns) arrays.emplace_back((col += '}'));
    collect(tx.query(unnestSql(head, tail, width), arrays));
    return returned;
  }
  std::vector<Param> part;
  for (size_t chunk : {size_t(64), size_t(16), size_t(4), size_t(1)}) {
    while (rows - done >= chunk) {
      part.assign(values.begin() + static_cast<std::ptrdiff_t>(done * width),
                  values.begin() + static_cast<std::ptrdiff_t>((done + chunk) * width));
      collect(tx.query(multiRowSql(head, tail, width, chunk), part));
      done += chunk;
    }
  }
  return returned;
}

namespace {

std::vector<int64_t> allocatePulseIds(Tx& tx, size_t n, bool postgres) {
  std::vector<int64_t> ids;
  ids.reserve(n);
  if (postgres) {
    Rows r = tx.query("SELECT nextval('pulses_id_seq') FROM generate_series(1, CAST($1 AS INTEGER))",
                      {static_cast<int64_t>(n)});
    for (size_t i = 0; i < r.size(); ++i) ids.push_back(r[i].i64(0));
  } else {
    // SQLite transactions start with BEGIN IMMEDIATE: this is the only writer.
    Rows r = tx.query("SELECT COALESCE(MAX(id), 0) FROM pulses");
    int64_t base = r[0].i64(0);
    for (size_t i = 0; i < n; ++i) ids.push_back(base + 1 + static_cast<int64_t>(i));
  }
  if (ids.size() != n) throw Error(CS_E_DB, "could not allocate pulse ids");
  return ids;
}

// The batch's machine ids as one PostgreSQL array text.
std::string idArray(const std::vector<int64_t>& ids) {
  std::string array = "{";
  for (size_t i = 0; i < ids.size(); ++i) array += (i ? "," : "") + std::to_string(ids[i]);
  return array + "}";
}

std::vector<int64_t> distinctMachineIds(const std::vector<const MachineAuth*>& auths) {
  std::vector<int64_t> ids;
  ids.reserve(auths.size());
  for (const MachineAuth* a : auths) ids.push_back(a->machineId);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// SQLite: the active machine rows with these ids, one statement: an IN list (multiRowSql's
// one-column rows) padded with the last id to 1, 4, 16, 64, 256... entries, so that a
// handful of texts reach the statement cache (a table-valued json_each would be a read of a
// table ingest does not own).
Rows activeMachinesSqlite(Tx& tx, const std::vector<int64_t>& ids) {
  size_t slots = 1;
  while (slots < ids.size()) slots *= 4;
  std::vector<Param> params(ids.begin(), ids.end());
  params.resize(slots, Param(ids.back()));
  return tx.query(multiRowSql("SELECT id, user_id, api_salt FROM machines WHERE active = 1 AND id IN (", ")", 1, slots),
                  params);
}

// Which credentials hold, given the active machine rows (id, user_id, api_salt) of their ids;
// rows with a NULL user_id are something else (startBatch's pulse ids).
std::vector<bool> heldBy(const std::vector<const MachineAuth*>& auths, const Rows& r) {
  std::map<int64_t, size_t> rowOf;
  for (size_t i = 0; i < r.size(); ++i)
    if (!r[i].isNull(1)) rowOf.emplace(r[i].i64(0), i);
  std::vector<bool> held(auths.size(), false);
  for (size_t k = 0; k < auths.size(); ++k) {
    auto it = rowOf.find(auths[k]->machineId);
    held[k] =
        it != rowOf.end() && r[it->second].i64(1) == auths[k]->userId && r[it->second].text(2) == auths[k]->apiSalt;
  }
  return held;
}

}  // namespace

BatchStart startBatch(Tx& tx, const std::vector<const MachineAuth*>& auths, bool postgres) {
  BatchStart out;
  if (auths.empty()) return out;
  if (!postgres) {
    out.held = heldBy(auths, activeMachinesSqlite(tx, distinctMachineIds(auths)));
    return out;
  }
  // The machine rows and the ids (user_id NULL marks them), in any order.
  Rows r = tx.query(
      "SELECT id, user_id, api_salt FROM machines WHERE id = ANY(CAST($1 AS BIGINT[])) AND active = 1 UNION ALL "
      "SELECT nextval('pulses_id_seq'), NULL, NULL FROM generate_series(1, CAST($2 AS INTEGER))",
      {idArray(distinctMachineIds(auths)), static_cast<int64_t>(auths.size())});
  for (size_t i = 0; i < r.size(); ++i)
    if (r[i].isNull(1)) out.pulseIds.push_back(r[i].i64(0));
  if (out.pulseIds.size() != auths.size()) throw Error(CS_E_DB, "could not allocate pulse ids");
  out.held = heldBy(auths, r);
  return out;
}

void writePulses(Tx& tx, const std::vector<PendingPulse*>& pulses, int64_t nowMs, bool postgres,
                 const std::vector<int64_t>* given) {
  if (pulses.empty()) return;
  AggregateSums sums;
  std::vector<int64_t> ids =
      given && given->size() >= pulses.size() ? *given : allocatePulseIds(tx, pulses.size(), postgres);
  std::vector<Param> pulseValues, xpValues;
  pulseValues.reserve(pulses.size() * 9);
  for (size_t i = 0; i < pulses.size(); ++i) {
    PendingPulse* p = pulses[i];
    p->pulseId = ids[i];
    for (Param v : {Param(p->pulseId), Param(p->userId), Param(p->machineId), Param(p->time.sentAtMs),
                    Param(p->time.sentAtLocalMs), Param(p->time.tzOffset), Param(p->time.localDay),
                    Param(p->time.localHour), Param(nowMs)})
      pulseValues.push_back(v);
    int64_t sum = 0;
    for (const PendingXp& x : p->xps) {
      for (Param v : {Param(p->pulseId), Param(x.language.effectiveId), Param(x.language.id), Param(x.amount)})
        xpValues.push_back(v);
      sums.addXp(p->userId, x.language.effectiveId, x.amount);
      sum += x.amount;
    }
    sums.addPulse(p->userId, p->machineId, p->time.localDay, p->time.localHour, p->time.sentAtMs, sum);
  }
  insertRows(tx,
             "INSERT INTO pulses (id, user_id, machine_id, sent_at, sent_at_local, tz_offset, local_day, local_hour, "
             "inserted_at) VALUES ",
             "", 9, pulseValues, postgres);
  insertRows(tx, "INSERT INTO xps (pulse_id, language_id, original_language_id, amount) VALUES ", "", 4, xpValues,
             postgres);
  addToAggregates(tx, sums, postgres);
}

void insertAggregateRows(Tx& tx, const std::vector<AggregateRow>& rows, const char* head, const char* tail,
                         bool postgres) {
  std::vector<Param> v;
  v.reserve(rows.size() * 3);
  for (const AggregateRow& r : rows) {
    v.emplace_back(r.user);
    v.emplace_back(r.key);
    v.emplace_back(r.xp);
  }
  insertRows(tx, head, tail, 3, v, postgres);
}

void addToAggregates(Tx& tx, const AggregateSums& sums, bool postgres) {
  // Fixed order of tables and keys: concurrent batches lock rows in the same order.
  auto upsert = [&](const std::vector<AggregateRow>& rows, const char* head, const char* tail) {
    insertAggregateRows(tx, rows, head, tail, postgres);
  };
  upsert(sums.languages(), "INSERT INTO user_language_xps (user_id, language_id, xp) VALUES ",
         " ON CONFLICT (user_id, language_id) DO UPDATE SET xp = user_language_xps.xp + excluded.xp");
  upsert(sums.machines(), "INSERT INTO user_machine_xps (user_id, machine_id, xp) VALUES ",
         " ON CONFLICT (user_id, machine_id) DO UPDATE SET xp = user_machine_xps.xp + excluded.xp");
  upsert(sums.days(), "INSERT INTO user_day_xps (user_id, day, xp) VALUES ",
         " ON CONFLICT (user_id, day) DO UPDATE SET xp = user_day_xps.xp + excluded.xp");
  upsert(sums.hours(), "INSERT INTO user_hour_xps (user_id, hour, xp) VALUES ",
         " ON CONFLICT (user_id, hour) DO UPDATE SET xp = user_hour_xps.xp + excluded.xp");
  std::vector<Param> tv;
  for (const UserTotal& t : sums.totals()) {
    tv.emplace_back(t.user);
    tv.emplace_back(t.xp);
    tv.emplace_back(t.lastPulseAt);
  }
  insertRows(tx, "INSERT INTO user_totals (user_id, xp, last_pulse_at) VALUES ",
             " ON CONFLICT (user_id) DO UPDATE SET xp = user_totals.xp + excluded.xp, last_pulse_at = CASE WHEN "
             "user_totals.last_pulse_at IS NULL OR excluded.last_pulse_at > user_totals.last_pulse_at THEN "
             "excluded.last_pulse_at ELSE user_totals.last_pulse_at END",
             3, tv, postgres);
}

void rebuildAggregates(Tx& tx, int64_t userId) {
  const std::string filter = " WHERE p.user_id = $1";
  deleteAggregates(tx, filter, {Param(userId)});
  insertSumsBySql(tx, filter, {Param(userId)});
  insertTotals(tx, filter, {Param(userId)});
}

void deleteEveryAggregate(Tx& tx) { deleteAggregates(tx, "", {}); }
void insertEverySumBySql(Tx& tx) { insertSumsBySql(tx, "", {}); }
void insertEveryTotal(Tx& tx) { insertTotals(tx, "", {}); }

void rebuildLanguageAggregates(Tx& tx, int64_t languageId) {
  std::string users =
      "(SELECT DISTINCT p0.user_id FROM xps x0 JOIN pulses p0 ON p0.id = x0.pulse_id WHERE x0.original_language_id = "
      "$1)";
  tx.query("DELETE FROM user_language_xps WHERE user_id IN " + users, {languageId});
  tx.query(
      "INSERT INTO user_language_xps (user_id, language_id, xp) SELECT p.user_id, x.language_id, SUM(x.amount) "
      "FROM pulses p JOIN xps x ON x.pulse_id = p.id WHERE p.user_id IN " +
          users + " GROUP BY p.user_id, x.language_id ORDER BY 1, 2",
      {languageId});
}

namespace {

// PostgreSQL: the aggregates are rewritten, so concurrent pulse batches (which add to them)
// wait; SQLite's write transaction already excludes them.
void lockAggregates(Tx& tx, bool postgres) {
  if (postgres)
    tx.query(
        "LOCK TABLE user_language_xps, user_machine_xps, user_day_xps, user_hour_xps, user_totals IN "
        "EXCLUSIVE MODE");
}

}  // namespace

int64_t deleteUserData(Tx& tx, int64_t userId, bool postgres) {
  lockAggregates(tx, postgres);
  tx.query("DELETE FROM xps WHERE pulse_id IN (SELECT id FROM pulses WHERE user_id = $1)", {userId});
  int64_t pulses = tx.query("DELETE FROM pulses WHERE user_id = $1", {userId}).affected();
  for (const char* t : {"user_language_xps", "user_machine_xps", "user_day_xps", "user_hour_xps", "user_totals"})
    tx.query(std::string("DELETE FROM ") + t + " WHERE user_id = $1", {userId});
  return pulses;
}

int64_t deleteMachineData(Tx& tx, int64_t userId, int64_t machineId, bool postgres) {
  lockAggregates(tx, postgres);
  tx.query("DELETE FROM xps WHERE pulse_id IN (SELECT id FROM pulses WHERE user_id = $1 AND machine_id = $2)",
           {userId, machineId});
  int64_t pulses =
      tx.query("DELETE FROM pulses WHERE user_id = $1 AND machine_id = $2", {userId, machineId}).affected();
  rebuildAggregates(tx, userId);  // deletes the user's rows first: none are left without pulses
  return pulses;
}

int64_t purgeOrphans(Tx& tx, bool postgres) {
  int64_t pulses = 0;
  Rows users = tx.query(
      "SELECT DISTINCT p.user_id FROM pulses p WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id)");
  for (size_t r = 0; r < users.size(); ++r) pulses += deleteUserData(tx, users[r].i64(0), postgres);
  Rows machines = tx.query(
      "SELECT DISTINCT p.user_id, p.machine_id FROM pulses p WHERE NOT EXISTS (SELECT 1 FROM machines m WHERE m.id = "
      "p.machine_id)");
  for (size_t r = 0; r < machines.size(); ++r)
    pulses += deleteMachineData(tx, machines[r].i64(0), machines[r].i64(1), postgres);
  return pulses;
}

std::optional<int64_t> findUserId(Host& host, const std::string& username) {
  Rows r = host.query("SELECT id FROM users WHERE username = $1", {username});
  if (r.empty()) return std::nullopt;
  return r[0].i64(0);
}

std::string statsJson(Host& host, std::optional<int64_t> userId) {
  std::string pf = userId ? " WHERE p.user_id = $1" : "";
  std::string af = userId ? " WHERE user_id = $1" : "";
  std::vector<Param> params;
  if (userId) params.emplace_back(*userId);
  auto one = [&](const std::string& sql) {
    Rows r = host.query(sql, params);
    return r.empty() || r[0].isNull(0) ? int64_t(0) : r[0].i64(0);
  };
  int64_t pulses = one("SELECT COUNT(*) FROM pulses p" + pf);
  int64_t xpsRows = one("SELECT COUNT(*) FROM pulses p JOIN xps x ON x.pulse_id = p.id" + pf);
  int64_t xpsSum = one("SELECT SUM(x.amount) FROM pulses p JOIN xps x ON x.pulse_id = p.id" + pf);
  int64_t lang = one("SELECT SUM(xp) FROM user_language_xps" + af);
  int64_t mach = one("SELECT SUM(xp) FROM user_machine_xps" + af);
  int64_t day = one("SELECT SUM(xp) FROM user_day_xps" + af);
  int64_t hour = one("SELECT SUM(xp) FROM user_hour_xps" + af);
  int64_t tot = one("SELECT SUM(xp) FROM user_totals" + af);
  Rows lr = host.query("SELECT COUNT(*) FROM languages");
  int64_t languages = lr.empty() ? 0 : lr[0].i64(0);
  return "{\"pulses\":" + std::to_string(pulses) + ",\"xps_rows\":" + std::to_string(xpsRows) +
         ",\"xps_sum\":" + std::to_string(xpsSum) + ",\"by_language\":" + std::to_string(lang) +
         ",\"by_machine\":" + std::to_string(mach) + ",\"by_day\":" + std::to_string(day) +
         ",\"by_hour\":" + std::to_string(hour) + ",\"totals\":" + std::to_string(tot) +
         ",\"languages\":" + std::to_string(languages) + "}";
}

std::string recentPulsesJson(Host& host, int64_t userId, int64_t limit) {
  Rows ps = host.query(
      "SELECT p.id, p.machine_id, p.sent_at, p.sent_at_local, p.tz_offset, p.local_day, p.local_hour FROM pulses p "
      "WHERE p.user_id = $1 ORDER BY p.id DESC LIMIT $2",
      {userId, limit});
  std::string out = "[";
  for (size_t i = 0; i < ps.size(); ++i) {
    int64_t id = ps[i].i64(0);
    if (i) out += ",";
    out += "{\"pulse_id\":" + std::to_string(id) + ",\"machine_id\":" + std::to_string(ps[i].i64(1)) +
           ",\"sent_at\":" + std::to_string(ps[i].i64(2)) + ",\"sent_at_local\":" + std::to_string(ps[i].i64(3)) +
           ",\"tz_offset\":" + std::to_string(ps[i].i64(4)) + ",\"local_day\":" + std::to_string(ps[i].i64(5)) +
           ",\"local_hour\":" + std::to_string(ps[i].i64(6)) + ",\"xps\":[";
    Rows xs = host.query(
        "SELECT l.name, o.name, x.amount FROM xps x JOIN languages l ON l.id = x.language_id JOIN languages o ON o.id "
        "= x.original_language_id WHERE x.pulse_id = $1 ORDER BY x.id",
        {id});
    for (size_t k = 0; k < xs.size(); ++k) {
      if (k) out += ",";
      out += "{\"language\":" + jsonString(xs[k].text(0)) + ",\"original_language\":" + jsonString(xs[k].text(1)) +
             ",\"amount\":" + std::to_string(xs[k].i64(2)) + "}";
    }
    out += "]}";
  }
  return out + "]";
}

}  // namespace codestats::ingest
