#include "schema.hpp"

#include <string>

namespace codestats::ingest {
namespace {

constexpr const char* kAggregatesSql = R"SQL(
CREATE TABLE IF NOT EXISTS user_language_xps (user_id INTEGER NOT NULL, language_id INTEGER NOT NULL, xp BIGINT NOT NULL, PRIMARY KEY (user_id, language_id));
CREATE TABLE IF NOT EXISTS user_machine_xps (user_id INTEGER NOT NULL, machine_id INTEGER NOT NULL, xp BIGINT NOT NULL, PRIMARY KEY (user_id, machine_id));
CREATE TABLE IF NOT EXISTS user_day_xps (user_id INTEGER NOT NULL, day INTEGER NOT NULL, xp BIGINT NOT NULL, PRIMARY KEY (user_id, day));
CREATE TABLE IF NOT EXISTS user_hour_xps (user_id INTEGER NOT NULL, hour INTEGER NOT NULL, xp BIGINT NOT NULL, PRIMARY KEY (user_id, hour));
CREATE TABLE IF NOT EXISTS user_totals (user_id INTEGER PRIMARY KEY, xp BIGINT NOT NULL, last_pulse_at BIGINT);
)SQL";

constexpr const char* kIndexesSql = R"SQL(
CREATE INDEX IF NOT EXISTS pulses_user_id_sent_at_index ON pulses (user_id, sent_at);
CREATE INDEX IF NOT EXISTS pulses_machine_id_sent_at_index ON pulses (machine_id, sent_at);
CREATE INDEX IF NOT EXISTS xps_pulse_id_index ON xps (pulse_id);
CREATE INDEX IF NOT EXISTS xps_original_language_id_index ON xps (original_language_id);
)SQL";

const std::string kSqliteSchema = std::string(R"SQL(
CREATE TABLE IF NOT EXISTS languages (id INTEGER PRIMARY KEY, name TEXT NOT NULL, name_lower TEXT NOT NULL UNIQUE, alias_of INTEGER NULL, inserted_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS pulses (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, machine_id INTEGER NOT NULL, sent_at BIGINT NOT NULL, sent_at_local BIGINT NOT NULL, tz_offset INTEGER NOT NULL, local_day INTEGER NOT NULL, local_hour INTEGER NOT NULL, inserted_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS xps (id INTEGER PRIMARY KEY, pulse_id BIGINT NOT NULL, language_id INTEGER NOT NULL, original_language_id INTEGER NOT NULL, amount INTEGER NOT NULL);
)SQL") + kAggregatesSql + kIndexesSql;

const std::string kPostgresSchema = std::string(R"SQL(
CREATE TABLE IF NOT EXISTS languages (id SERIAL PRIMARY KEY, name TEXT NOT NULL, name_lower TEXT NOT NULL UNIQUE, alias_of INTEGER NULL, inserted_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS pulses (id BIGSERIAL PRIMARY KEY, user_id INTEGER NOT NULL, machine_id INTEGER NOT NULL, sent_at BIGINT NOT NULL, sent_at_local BIGINT NOT NULL, tz_offset INTEGER NOT NULL, local_day INTEGER NOT NULL, local_hour INTEGER NOT NULL, inserted_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS xps (id BIGSERIAL PRIMARY KEY, pulse_id BIGINT NOT NULL, language_id INTEGER NOT NULL, original_language_id INTEGER NOT NULL, amount INTEGER NOT NULL);
)SQL") + kAggregatesSql + kIndexesSql;

// SQLite: the aggregates keyed by (user_id, x) become WITHOUT ROWID tables, clustered by
// their key: a pulse's upserts then dirty one B-tree page per table instead of a table page
// and an index page, about 14% fewer WAL frames per group commit (bench/README.md).
// PostgreSQL tables are heaps either way: nothing to do.
std::string withoutRowid(const char* table, const char* key) {
  std::string t = table;
  return "CREATE TABLE " + t + "_v2 (user_id INTEGER NOT NULL, " + key + " INTEGER NOT NULL, xp BIGINT NOT NULL, " +
         "PRIMARY KEY (user_id, " + key + ")) WITHOUT ROWID;\n" + "INSERT INTO " + t + "_v2 (user_id, " + key +
         ", xp) SELECT user_id, " + key + ", xp FROM " + t + ";\n" + "DROP TABLE " + t + ";\n" + "ALTER TABLE " + t +
         "_v2 RENAME TO " + t + ";\n";
}

const std::string kSqliteWithoutRowid = withoutRowid("user_language_xps", "language_id") +
                                        withoutRowid("user_machine_xps", "machine_id") +
                                        withoutRowid("user_day_xps", "day") + withoutRowid("user_hour_xps", "hour");

// SQLite: every pulse inserted one entry at a random place into each of these two indexes
// (~25% of a group commit's WAL frames, bench/README.md), yet only admin commands read
// them: the CSV import's duplicate check (now served by pulses_user_id_sent_at_index) and
// alias/unalias (now a scan of xps, once per command). Dropping an index is safe for a
// generation still running the old SQL: its statements stay valid, they only plan without
// it. PostgreSQL keeps both (its ingest is within budget, and its planner is left alone).
constexpr const char* kSqliteDropWriteOnlyIndexes =
    "DROP INDEX IF EXISTS pulses_machine_id_sent_at_index;\n"
    "DROP INDEX IF EXISTS xps_original_language_id_index;\n";

// Issue 18: one row per imported original Code::Stats database: the offset added to its
// pulse ids (0 into an empty target), the highest original pulse id handled (the
// watermark a resumed or delta import starts from) and the source's snapshot time of the
// last finished run (a delta import looks back from it for pulses committed late).
constexpr const char* kImportSources =
    "CREATE TABLE IF NOT EXISTS import_sources (source TEXT PRIMARY KEY, pulse_offset BIGINT NOT NULL, "
    "last_pulse_id BIGINT NOT NULL, snapshot_at BIGINT NULL, pulses BIGINT NOT NULL, xps BIGINT NOT NULL, "
    "started_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, finished_at BIGINT NULL)";

}  // namespace

const std::vector<Migrations>& ingestMigrations() {
  static const std::vector<Migrations> kList = {
      {1, "languages, pulses, xps and per-user aggregates", kSqliteSchema.c_str(), kPostgresSchema.c_str()},
      {2, "aggregates keyed by user clustered by key (SQLite WITHOUT ROWID)", kSqliteWithoutRowid.c_str(), "SELECT 1"},
      // The front page's recent-XP history (channels: frontpage join) reads pulses by time.
      {3, "pulses by sent_at", "CREATE INDEX IF NOT EXISTS pulses_sent_at_index ON pulses (sent_at)",
       "CREATE INDEX IF NOT EXISTS pulses_sent_at_index ON pulses (sent_at)"},
      {4, "SQLite: drop the pulse-path indexes only admin commands read", kSqliteDropWriteOnlyIndexes, "SELECT 1"},
      {5, "watermarks of imports of original Code::Stats databases", kImportSources, kImportSources},
  };
  return kList;
}

const std::vector<SecondaryIndex>& pulseIndexes(bool postgres) {
  static const std::vector<SecondaryIndex> kSqlite = {
      {"pulses_user_id_sent_at_index",
       "CREATE INDEX IF NOT EXISTS pulses_user_id_sent_at_index ON pulses (user_id, sent_at)"},
      {"pulses_sent_at_index", "CREATE INDEX IF NOT EXISTS pulses_sent_at_index ON pulses (sent_at)"},
      {"xps_pulse_id_index", "CREATE INDEX IF NOT EXISTS xps_pulse_id_index ON xps (pulse_id)"},
  };
  static const std::vector<SecondaryIndex> kPostgres = [] {
    auto all = kSqlite;
    all.push_back({"pulses_machine_id_sent_at_index",
                   "CREATE INDEX IF NOT EXISTS pulses_machine_id_sent_at_index ON pulses (machine_id, sent_at)"});
    all.push_back({"xps_original_language_id_index",
                   "CREATE INDEX IF NOT EXISTS xps_original_language_id_index ON xps (original_language_id)"});
    return all;
  }();
  return postgres ? kPostgres : kSqlite;
}

}  // namespace codestats::ingest
