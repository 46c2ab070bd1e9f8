// The SQLite pool: readers from a blocking pool, one writer connection leased together with
// the write lock, and the WAL state they share (group sync, background checkpoints).
#pragma once

#include "db/database.hpp"

#include <memory>

namespace codestats::host::db {

// Throws DbError(Connection) for a path SQLite cannot open or that the pool cannot share.
std::unique_ptr<Pool> openSqlitePool(const DbConfig& config);

}  // namespace codestats::host::db
