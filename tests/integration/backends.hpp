// Host arguments selecting a test database, for tests that run once per backend.
#pragma once

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "host_process.hpp"
#include "db/database.hpp"

namespace codestats::test {

struct BackendArgs {
  std::unique_ptr<PgSchema> schema;  // keeps the PostgreSQL schema alive for the test
  std::vector<std::string> args;
};

inline BackendArgs backendArgs(const std::string& backend) {
  BackendArgs b;
  if (backend == "postgres") {
    b.schema = std::make_unique<PgSchema>();
    b.args = {"--set", "db.backend=postgres", "--set", "db.postgres.conninfo=" + b.schema->conninfo()};
  }
  return b;
}

// A direct connection to a test host's database, for fixture rows and checks that bypass
// the modules (and so the host's table-ownership check). `sqlitePath`: the host's database
// file when the backend is SQLite (default: <var dir>/codestats.db).
inline std::unique_ptr<codestats::host::db::Pool> openTestDb(const BackendArgs& b, const std::string& sqlitePath) {
  codestats::host::db::DbConfig c;
  c.poolSize = 1;
  if (b.schema) {
    c.backend = codestats::host::db::Backend::Postgres;
    c.postgresConninfo = b.schema->conninfo();
  } else {
    c.sqlitePath = sqlitePath;
  }
  return codestats::host::db::Pool::open(c);
}

// Runs one statement with text or integer (all digits) arguments.
inline codestats::host::db::ResultSet runSql(codestats::host::db::Pool& pool, const std::string& sql,
                                             const std::vector<std::string>& args = {}) {
  std::vector<cs_value> params(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool digits = !a.empty() && a.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      params[i].type = CS_VAL_INT;
      params[i].i = std::stoll(a);
    } else {
      params[i].type = CS_VAL_TEXT;
      params[i].s = {a.data(), a.size()};
    }
  }
  return pool.acquire()->query(sql, params.data(), params.size());
}

// A pulse's coded_at `agoSeconds` in the past as local wall time at `offsetMinutes` (+HH:MM).
inline std::string codedAtAgo(int64_t agoSeconds, int offsetMinutes) {
  std::time_t t = std::time(nullptr) - agoSeconds + offsetMinutes * 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  int a = offsetMinutes < 0 ? -offsetMinutes : offsetMinutes;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, offsetMinutes < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

inline std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace codestats::test
