#include "codestats_source.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <libpq-fe.h>

#include <cstring>
#include <set>

namespace codestats::host::ctl {

// One libpq result, cleared on destruction; text values.
struct CodestatsSource::Result {
  PGresult* res = nullptr;
  explicit Result(PGresult* r) : res(r) {}
  Result(Result&& o) noexcept : res(o.res) { o.res = nullptr; }
  ~Result() {
    if (res) PQclear(res);
  }
  int rows() const { return PQntuples(res); }
  bool null(int row, int col) const { return PQgetisnull(res, row, col) != 0; }
  std::string text(int row, int col) const { return PQgetvalue(res, row, col); }
  int64_t i64(int row, int col) const { return std::stoll(PQgetvalue(res, row, col)); }
  std::optional<int64_t> optI64(int row, int col) const {
    return null(row, col) ? std::nullopt : std::optional<int64_t>(i64(row, col));
  }
  std::optional<std::string> optText(int row, int col) const {
    return null(row, col) ? std::nullopt : std::optional<std::string>(text(row, col));
  }
  bool flag(int row, int col) const { return text(row, col) == "t"; }

  // Binary results (execBinary): integers and timestamps, the latter as ms since the epoch.
  // Saves the server's text formatting and the extract() arithmetic of every timestamp,
  // which took most of the original's time for the pulses (bench/README.md, "Import").
  int64_t binI64(int row, int col) const {
    const auto* v = reinterpret_cast<const unsigned char*>(PQgetvalue(res, row, col));
    const int len = PQgetlength(res, row, col);
    uint64_t u = 0;
    for (int i = 0; i < len; ++i) u = (u << 8) | v[i];
    switch (PQftype(res, col)) {
      case kInt2: return static_cast<int16_t>(u);
      case kInt4: return static_cast<int32_t>(u);
      case kInt8: return static_cast<int64_t>(u);
      case kTimestamp:
      case kTimestampTz: {
        // Microseconds since 2000-01-01 UTC; floor to ms like floor(extract(epoch) * 1000).
        const auto us = static_cast<int64_t>(u);
        if (us == INT64_MIN || us == INT64_MAX)
          throw SourceError(std::string("the original holds an infinite timestamp in column ") + PQfname(res, col));
        return us / 1000 - (us % 1000 < 0 ? 1 : 0) + kPostgresEpochMs;
      }
      default:
        throw SourceError(std::string("unexpected type of column ") + PQfname(res, col) + " in the original (oid " +
                          std::to_string(PQftype(res, col)) + ")");
    }
  }
  std::optional<int64_t> optBinI64(int row, int col) const {
    return null(row, col) ? std::nullopt : std::optional<int64_t>(binI64(row, col));
  }

  static constexpr Oid kInt8 = 20, kInt2 = 21, kInt4 = 23, kTimestamp = 1114, kTimestampTz = 1184;
  static constexpr int64_t kPostgresEpochMs = 946684800000;  // 2000-01-01 in ms since 1970
};

namespace {

// A timestamp column as ms since the epoch (the original stores UTC in naive columns).
std::string ms(const std::string& column) { return "floor(extract(epoch from " + column + ") * 1000)::bigint"; }

// The columns the import reads, by table (spec §1).
const std::map<std::string, std::vector<std::string>>& requiredColumns() {
  static const std::map<std::string, std::vector<std::string>> kColumns = {
      {"users",
       {"id", "username", "email", "password", "inserted_at", "updated_at", "private_profile", "cache", "terms_version",
        "gravatar_email"}},
      {"machines", {"id", "name", "user_id", "api_salt", "active", "inserted_at", "updated_at"}},
      {"languages", {"id", "name", "alias_of_id", "inserted_at"}},
      {"pulses", {"id", "sent_at", "sent_at_local", "tz_offset", "user_id", "machine_id", "inserted_at"}},
      {"xps", {"id", "amount", "pulse_id", "language_id", "original_language_id"}},
  };
  return kColumns;
}

}  // namespace

CodestatsSource::CodestatsSource(const std::string& conninfo) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn_);
    conn_ = nullptr;
    throw SourceError("cannot connect to the original database: " + msg);
  }
  // Read-only and one snapshot for every table; UTC so that timestamps are not shifted. A
  // refusal (not a Code::Stats database) throws from here, where no destructor runs yet.
  try {
    exec("SET TIME ZONE 'UTC'");
    exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    checkSchema();
    snapshotAt_ = exec("SELECT floor(extract(epoch from now()) * 1000)::bigint").i64(0, 0);
  } catch (...) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

CodestatsSource::~CodestatsSource() {
  if (conn_) PQfinish(conn_);
}

std::string CodestatsSource::describe() const {
  return std::string("database ") + PQdb(conn_) + " on " + PQhost(conn_) + ":" + PQport(conn_);
}

CodestatsSource::Result CodestatsSource::exec(const std::string& sql, const std::vector<std::string>& params,
                                              bool binary) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  Result r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr,
                        binary ? 1 : 0));
  auto status = PQresultStatus(r.res);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw SourceError("the original database refused a query: " + msg);
  }
  return r;
}

void CodestatsSource::checkSchema() {
  if (exec("SELECT to_regclass('schema_migrations') IS NOT NULL").text(0, 0) != "t")
    throw SourceError("not a Code::Stats database: " + describe() + " has no schema_migrations table");
  Result cols = exec(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
      "ANY(current_schemas(false))");
  std::set<std::pair<std::string, std::string>> have;
  for (int i = 0; i < cols.rows(); ++i) have.emplace(cols.text(i, 0), cols.text(i, 1));
  for (const auto& [table, columns] : requiredColumns())
    for (const auto& c : columns)
      if (!have.count({table, c}))
        throw SourceError("not a Code::Stats database: " + describe() + " has no column " + table + "." + c);
  Result v = exec("SELECT MAX(version) FROM schema_migrations");
  std::optional<int64_t> version = v.optI64(0, 0);
  if (version != kOriginalMigration)
    throw SourceError("the original database is at migration " + (version ? std::to_string(*version) : "(none)") +
                      "; this import reads Code::Stats at migration " + std::to_string(kOriginalMigration) +
                      " (version 2.2.0): " +
                      (version && *version < kOriginalMigration ? "migrate the original first"
                                                                : "a newer schema is not known to this import"));
}

std::vector<OriginalUser> CodestatsSource::users() {
  Result r = exec("SELECT id, username, email, password, " + ms("inserted_at") + ", " + ms("updated_at") +
                  ", private_profile, terms_version::text, gravatar_email FROM users ORDER BY id");
  std::vector<OriginalUser> out(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    OriginalUser& u = out[static_cast<size_t>(i)];
    u.id = r.i64(i, 0);
    u.username = r.text(i, 1);
    u.email = r.optText(i, 2);
    u.password = r.text(i, 3);
    u.insertedAt = r.i64(i, 4);
    u.updatedAt = r.i64(i, 5);
    u.privateProfile = r.flag(i, 6);
    u.termsVersion = r.text(i, 7);
    u.gravatarEmail = r.optText(i, 8);
  }
  return out;
}

std::vector<OriginalMachine> CodestatsSource::machines() {
  Result r = exec("SELECT id, user_id, name, api_salt, active, " + ms("inserted_at") + ", " + ms("updated_at") +
                  " FROM machines ORDER BY user_id, id");
  std::vector<OriginalMachine> out(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    OriginalMachine& m = out[static_cast<size_t>(i)];
    m.id = r.i64(i, 0);
    m.userId = r.i64(i, 1);
    m.name = r.text(i, 2);
    m.apiSalt = r.text(i, 3);
    m.active = r.flag(i, 4);
    m.insertedAt = r.i64(i, 5);
    m.updatedAt = r.i64(i, 6);
  }
  return out;
}

std::vector<OriginalLanguage> CodestatsSource::languages() {
  // Canonical languages first: an alias is then always sent after its target.
  Result r = exec("SELECT id, name, alias_of_id, " + ms("inserted_at") +
                  " FROM languages ORDER BY alias_of_id IS NOT NULL, id");
  std::vector<OriginalLanguage> out(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    OriginalLanguage& l = out[static_cast<size_t>(i)];
    l.id = r.i64(i, 0);
    l.name = r.text(i, 1);
    l.aliasOf = r.optI64(i, 2);
    l.insertedAt = r.i64(i, 3);
  }
  return out;
}

std::vector<OriginalPulse> CodestatsSource::pulses(int64_t afterId, int64_t limit) {
  Result p = exec(
      "SELECT id, user_id, machine_id, sent_at, sent_at_local, tz_offset, inserted_at FROM pulses WHERE id > $1 ORDER "
      "BY id LIMIT $2",
      {std::to_string(afterId), std::to_string(limit)}, true);
  std::vector<OriginalPulse> out(static_cast<size_t>(p.rows()));
  if (out.empty()) return out;
  for (int i = 0; i < p.rows(); ++i) {
    OriginalPulse& o = out[static_cast<size_t>(i)];
    o.id = p.binI64(i, 0);
    o.userId = p.binI64(i, 1);
    o.machineId = p.binI64(i, 2);
    o.sentAt = p.binI64(i, 3);
    o.sentAtLocal = p.optBinI64(i, 4);
    o.tzOffset = p.optBinI64(i, 5);
    o.insertedAt = p.binI64(i, 6);
  }
  Result x = exec(
      "SELECT pulse_id, language_id, original_language_id, amount FROM xps WHERE pulse_id > $1 AND pulse_id <= $2 "
      "ORDER BY pulse_id, id",
      {std::to_string(afterId), std::to_string(out.back().id)}, true);
  // Both results are in pulse id order: one merge, no lookup per xp.
  size_t at = 0;
  for (int i = 0; i < x.rows(); ++i) {
    const int64_t pulse = x.binI64(i, 0);
    while (at < out.size() && out[at].id < pulse) ++at;
    if (at == out.size() || out[at].id != pulse) continue;  // deleted pulse's xp: not in this snapshot's pulses
    out[at].xps.push_back(OriginalXp{x.binI64(i, 1), x.binI64(i, 2), x.binI64(i, 3)});
  }
  return out;
}

int64_t CodestatsSource::countPulsesAfter(int64_t afterId) {
  return exec("SELECT COUNT(*) FROM pulses WHERE id > $1", {std::to_string(afterId)}).i64(0, 0);
}

std::optional<int64_t> CodestatsSource::firstPulseReceivedSince(int64_t sinceMs, int64_t upToId) {
  return exec(
             "SELECT MIN(id) FROM pulses WHERE inserted_at >= to_timestamp($1::double precision / 1000) AT TIME ZONE "
             "'UTC' AND id <= $2",
             {std::to_string(sinceMs), std::to_string(upToId)})
      .optI64(0, 0);
}

std::map<int64_t, UserFigures> CodestatsSource::figuresFromTables() {
  std::map<int64_t, UserFigures> out;
  Result l = exec(
      "SELECT p.user_id, x.language_id, SUM(x.amount) FROM pulses p JOIN xps x ON x.pulse_id = p.id GROUP BY 1, 2");
  for (int i = 0; i < l.rows(); ++i) {
    UserFigures& f = out[l.i64(i, 0)];
    f.languages[l.i64(i, 1)] = l.i64(i, 2);
    f.total += l.i64(i, 2);
  }
  Result m =
      exec("SELECT p.user_id, p.machine_id, SUM(x.amount) FROM pulses p JOIN xps x ON x.pulse_id = p.id GROUP BY 1, 2");
  for (int i = 0; i < m.rows(); ++i) out[m.i64(i, 0)].machines[m.i64(i, 1)] = m.i64(i, 2);
  return out;
}

std::map<int64_t, UserFigures> CodestatsSource::figuresFromCache() {
  std::map<int64_t, UserFigures> out;
  Result r = exec("SELECT id, cache::text FROM users WHERE cache IS NOT NULL");
  for (int i = 0; i < r.rows(); ++i) {
    UserFigures& f = out[r.i64(i, 0)];
    try {
      auto cache = Poco::JSON::Parser().parse(r.text(i, 1)).extract<Poco::JSON::Object::Ptr>();
      auto read = [&](const char* key, std::map<int64_t, int64_t>& into) {
        auto o = cache->getObject(key);
        if (!o) return;
        for (const auto& [k, v] : *o) into[std::stoll(k)] = v.convert<int64_t>();
      };
      read("languages", f.languages);
      read("machines", f.machines);
      for (const auto& [id, xp] : f.languages) f.total += xp;
    } catch (const std::exception&) {
      out.erase(r.i64(i, 0));  // unreadable: compared with the tables only
    }
  }
  return out;
}

}  // namespace codestats::host::ctl
