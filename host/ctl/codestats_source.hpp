// The original Code::Stats database, read-only: one REPEATABLE READ READ ONLY transaction
// over libpq, so every table is read at one instant (spec codestats.md §1, after migration
// 20200702210117). Times come as milliseconds since the epoch (the columns hold UTC).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct pg_conn;

namespace codestats::host::ctl {

// A refusal of the source with a message for the operator; nothing has been written.
struct SourceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr int64_t kOriginalMigration = 20200702210117;

struct OriginalUser {
  int64_t id = 0;
  std::string username, password, termsVersion;
  std::optional<std::string> email, gravatarEmail;
  bool privateProfile = false;
  int64_t insertedAt = 0, updatedAt = 0;
};

struct OriginalMachine {
  int64_t id = 0, userId = 0;
  std::string name, apiSalt;
  bool active = true;
  int64_t insertedAt = 0, updatedAt = 0;
};

struct OriginalLanguage {
  int64_t id = 0;
  std::string name;
  std::optional<int64_t> aliasOf;
  int64_t insertedAt = 0;
};

struct OriginalXp {
  int64_t languageId = 0, originalLanguageId = 0, amount = 0;
};

struct OriginalPulse {
  int64_t id = 0, userId = 0, machineId = 0, sentAt = 0, insertedAt = 0;
  std::optional<int64_t> sentAtLocal, tzOffset;
  std::vector<OriginalXp> xps;
};

// Per user: XP by language id, by machine id, in total (from the tables, or from users.cache).
struct UserFigures {
  std::map<int64_t, int64_t> languages, machines;
  int64_t total = 0;
};

class CodestatsSource {
 public:
  // Connects, opens the snapshot and checks the schema; throws SourceError.
  explicit CodestatsSource(const std::string& conninfo);
  ~CodestatsSource();
  CodestatsSource(const CodestatsSource&) = delete;
  CodestatsSource& operator=(const CodestatsSource&) = delete;

  // The snapshot's time (the transaction's start) in ms; a delta import looks back from it.
  int64_t snapshotAt() const { return snapshotAt_; }
  std::string describe() const;  // "database X on host:port"

  std::vector<OriginalUser> users();
  std::vector<OriginalMachine> machines();
  std::vector<OriginalLanguage> languages();
  // Up to `limit` pulses with id > afterId in id order, each with its xps.
  std::vector<OriginalPulse> pulses(int64_t afterId, int64_t limit);
  int64_t countPulsesAfter(int64_t afterId);
  // The lowest pulse id at or below `upToId` received at or after `sinceMs` (late commits).
  std::optional<int64_t> firstPulseReceivedSince(int64_t sinceMs, int64_t upToId);
  // XP by user from the tables (what the import writes).
  std::map<int64_t, UserFigures> figuresFromTables();
  // users.cache where set (spec §1.7), by user: languages, machines and their sum.
  std::map<int64_t, UserFigures> figuresFromCache();

 private:
  struct Result;
  // Text results, or binary ones (Result::binI64) with `binary`.
  Result exec(const std::string& sql, const std::vector<std::string>& params = {}, bool binary = false);
  void checkSchema();

  pg_conn* conn_ = nullptr;
  int64_t snapshotAt_ = 0;
};

}  // namespace codestats::host::ctl
