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

}  // namespace codestats::ingest
