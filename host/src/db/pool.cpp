// Pool::open, which picks the backend, and the PostgreSQL pool.
#include "db/blocking_pool.hpp"
#include "db/postgres_connection.hpp"
#include "db/sqlite_pool.hpp"

namespace codestats::host::db {
namespace {

std::unique_ptr<Pool> openPostgres(const DbConfig& config) {
  const std::string conninfo = config.postgresConninfo;
  return std::make_unique<BlockingPool<PostgresConnection>>(Backend::Postgres, "postgres:" + describeConninfo(conninfo),
                                                            config,
                                                            [conninfo] { return PostgresConnection::open(conninfo); });
}

}  // namespace

std::unique_ptr<Pool> Pool::open(const DbConfig& config) {
  if (config.poolSize < 1)
    throw DbError(DbError::Kind::Connection,
                  "database pool size must be at least 1, got " + std::to_string(config.poolSize));
  return config.backend == Backend::Sqlite ? openSqlitePool(config) : openPostgres(config);
}

}  // namespace codestats::host::db
