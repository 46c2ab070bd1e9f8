// The ingest module's schema: its migrations for SQLite and PostgreSQL, in order.
// Shipped migrations are never edited; changes are new versions (architecture.md §3,
// expand-only). Pure data, no SDK.
#pragma once

#include <cstdint>
#include <vector>

namespace codestats::ingest {

struct Migrations {
  int64_t version;
  const char* name;
  const char* sqlite;
  const char* postgres;
};
// Ingest's migrations (languages, pulses, xps, aggregates), in order.
const std::vector<Migrations>& ingestMigrations();

// The secondary indexes of pulses and xps after the last migration, per backend (SQLite
// dropped two in migration 4). A bulk import drops them and builds them again at its end
// (original_import.hpp); schema_test checks the SQLite list against the migrated catalog.
struct SecondaryIndex {
  const char* name;
  const char* create;  // CREATE INDEX IF NOT EXISTS ...
};
const std::vector<SecondaryIndex>& pulseIndexes(bool postgres);

}  // namespace codestats::ingest
