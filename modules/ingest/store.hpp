// SQL of the ingest module (its schema is in schema.cpp): token lookups against web's
// users/machines, language get-or-create, the batched pulse write with its aggregates,
// rebuilds, aliases, stats.
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aggregate_sums.hpp"
#include "schema.hpp"
#include "common/timestamp.hpp"

namespace codestats::ingest {

// A machine that can authenticate, with its owner (web's tables).
struct MachineAuth {
  int64_t userId = 0;
  std::string username;
  bool privateProfile = false;
  int64_t machineId = 0;
  std::string machineName;
  std::string apiSalt;
};
// Active machine `machineId` owned by exactly `username` (case-sensitive).
std::optional<MachineAuth> findActiveMachine(Host& host, const std::string& username, int64_t machineId);
// The first statement of a pulse batch's transaction. `held`: whether each pulse's credential
// still holds inside `tx`: its machine exists, is active, belongs to the same user and has
// the api_salt the token was verified with. Web's key regeneration, deactivation and
// deletion break one of these, on whichever host they were done (docs/events.md, "Revoked
// machine keys"). `pulseIds`: PostgreSQL only, in the same round trip (a round trip is most
// of a statement's cost there, bench/README.md, "The event log"), an id for each pulse (a
// revoked pulse's goes unused); on SQLite writePulses allocates them.
struct BatchStart {
  std::vector<bool> held;
  std::vector<int64_t> pulseIds;
};
BatchStart startBatch(Tx& tx, const std::vector<const MachineAuth*>& auths, bool postgres);

struct LanguageRef {
  int64_t id = 0;           // the language as sent
  std::string name;         // its stored name
  int64_t effectiveId = 0;  // after one level of alias resolution
  std::string effectiveName;
};
// Case-insensitive get-or-create (get -> insert -> get), outside any pulse transaction.
LanguageRef getOrCreateLanguage(Host& host, const std::string& normalisedName);
LanguageRef getOrCreateLanguage(Tx& tx, const std::string& normalisedName);

struct PendingXp {
  LanguageRef language;
  int64_t amount = 0;
};
struct PendingPulse {
  int64_t userId = 0;
  int64_t machineId = 0;
  common::PulseTime time;
  std::vector<PendingXp> xps;
  int64_t pulseId = 0;  // set by writePulses
};

// The text of a multi-row statement: head, `rows` tuples of `width` placeholders, tail.
// Built once per statement and size and kept (the single writer runs ~20 per batch; a
// 64-row text is several KiB of appends). Keyed by the literals' addresses: pass string
// literals. Few distinct keys: four sizes per statement.
const std::string& multiRowSql(const char* head, const char* tail, size_t width, size_t rows);
// Runs a multi-row INSERT ("... VALUES ", tail) for `rows` rows of `width` values. SQLite: in
// chunks of 64, 16, 4 and 1 rows, so that only four statement texts per table reach the
// prepared-statement cache. PostgreSQL: one statement, the columns as arrays, when every
// value is an integer (a round trip is most of a statement's cost there). Returns the first
// column of the rows a RETURNING tail gives, in the statements' order.
std::vector<int64_t> insertRows(Tx& tx, const char* head, const char* tail, size_t width,
                                const std::vector<Param>& values, bool postgres);

// Inserts the pulses and xps and applies their aggregate deltas (in key order, so that
// concurrent batches never deadlock). Multi-row statements; pulse ids are allocated up
// front (PostgreSQL: the sequence; SQLite: MAX(id) under the write lock). Runs inside the
// caller's transaction. `ids`: ids allocated already (startBatch), at least one per pulse.
void writePulses(Tx& tx, const std::vector<PendingPulse*>& pulses, int64_t nowMs, bool postgres,
                 const std::vector<int64_t>* ids = nullptr);

// (user_id, key, xp) rows through insertRows: head "INSERT INTO t (user_id, k, xp) VALUES ".
void insertAggregateRows(Tx& tx, const std::vector<AggregateRow>& rows, const char* head, const char* tail,
                         bool postgres);
// Adds the sums to the aggregate tables (upserts in key order).
void addToAggregates(Tx& tx, const AggregateSums& sums, bool postgres);

// Recomputes every aggregate of one user from pulses and xps (every user's:
// aggregate_rebuild.hpp, from these parts).
void rebuildAggregates(Tx& tx, int64_t userId);
void deleteEveryAggregate(Tx& tx);
// user_language_xps, user_machine_xps, user_day_xps and user_hour_xps by INSERT ... SELECT.
void insertEverySumBySql(Tx& tx);
// user_totals from user_language_xps (written first) and the pulses.
void insertEveryTotal(Tx& tx);
// Recomputes user_language_xps for the users that have xps originally sent as `languageId`.
void rebuildLanguageAggregates(Tx& tx, int64_t languageId);

// Deleting through the owner (ingest.v1 delete_user_data / delete_machine_data, called by
// web): every pulse, xp and aggregate row of the user; or one machine's pulses and xps, the
// user's aggregates then recomputed from what remains, so no figure keeps the machine's XP.
// Idempotent. The number of pulses removed.
int64_t deleteUserData(Tx& tx, int64_t userId, bool postgres);
int64_t deleteMachineData(Tx& tx, int64_t userId, int64_t machineId, bool postgres);
// The data of users and machines web no longer has (deleted while ingest was not loaded).
int64_t purgeOrphans(Tx& tx, bool postgres);

std::optional<int64_t> findUserId(Host& host, const std::string& username);
// Row counts and sums as JSON (see ingest.stats).
std::string statsJson(Host& host, std::optional<int64_t> userId);
// The user's latest pulses as a JSON array (see ingest.pulses).
std::string recentPulsesJson(Host& host, int64_t userId, int64_t limit);

}  // namespace codestats::ingest
