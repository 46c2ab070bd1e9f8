// applyMigrations: each pending migration of a module in its own transaction, recorded in
// codestats_migrations. Several hosts may run this at once against one database.
#include "db/database.hpp"
#include "db/host_statements.hpp"

#include <algorithm>
#include <chrono>
#include <set>

namespace codestats::host::db {
namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS codestats_migrations ("
    "module TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL, "
    "PRIMARY KEY(module, version))";

// Inside a transaction: takes the cross-host migration lock (PostgreSQL; SQLite's
// BEGIN IMMEDIATE already holds the database's single write lock).
void lockMigrations(Connection& c, Backend backend) {
  if (backend == Backend::Postgres) c.query(kSchemaLockSql, nullptr, 0);
}

bool isRecorded(Connection& c, std::string_view module, int64_t version) {
  const cs_value p[] = {textValue(module), intValue(version)};
  return c.query("SELECT 1 FROM codestats_migrations WHERE module = $1 AND version = $2", p, 2).rows() > 0;
}

int64_t unixMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

MigrationReport applyMigrations(Pool& pool, std::string_view module, const std::vector<Migration>& migrations,
                                const AccessCheck& check) {
  if (module.empty()) throw DbError(DbError::Kind::Generic, "migrations need a module name");
  std::vector<const Migration*> sorted;
  sorted.reserve(migrations.size());
  for (const auto& m : migrations) sorted.push_back(&m);
  std::sort(sorted.begin(), sorted.end(),
            [](const Migration* a, const Migration* b) { return a->version < b->version; });
  for (size_t k = 1; k < sorted.size(); ++k) {
    if (sorted[k]->version == sorted[k - 1]->version) {
      throw DbError(DbError::Kind::Generic, "module " + std::string(module) + " declares migration version " +
                                                std::to_string(sorted[k]->version) + " twice");
    }
  }

  const Backend backend = pool.backend();
  auto conn = pool.acquire();
  {
    // Under the lock too: concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL.
    Transaction tx(*conn);
    lockMigrations(*conn, backend);
    conn->execScript(kCreateTable);
    tx.commit();
  }

  std::set<int64_t> done;
  {
    const cs_value p[] = {textValue(module)};
    ResultSet rs = conn->query("SELECT version FROM codestats_migrations WHERE module = $1", p, 1);
    for (size_t r = 0; r < rs.rows(); ++r) done.insert(rs.at(r, 0).i);
  }

  MigrationReport report;
  for (const Migration* m : sorted) {
    if (done.count(m->version)) continue;
    try {
      Transaction tx(*conn);
      lockMigrations(*conn, backend);
      // Another host may have applied it since we looked.
      if (isRecorded(*conn, module, m->version)) continue;
      const std::string& sql = backend == Backend::Sqlite ? m->sqlSqlite : m->sqlPostgres;
      if (check) conn->execScriptChecked(sql, check);
      else conn->execScript(sql);
      const cs_value p[] = {textValue(module), intValue(m->version), textValue(m->name), intValue(unixMillis())};
      conn->query("INSERT INTO codestats_migrations (module, version, name, applied_at) VALUES ($1, $2, $3, $4)", p, 4);
      tx.commit();
    } catch (const DbError& e) {
      throw DbError(e.kind(), "migration " + std::string(module) + " v" + std::to_string(m->version) + " (" + m->name +
                                  ") failed: " + e.what());
    }
    report.applied.push_back(m->version);
  }
  return report;
}

}  // namespace codestats::host::db
