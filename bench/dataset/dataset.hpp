// A synthetic Code::Stats data set: N users with M machines each and P pulses over the last
// year, with per-user language mixes drawn from a popularity curve, time zones weighted like
// a real user base, working-hours and weekday rhythms and a heavy-tailed activity per user.
// Rows go to a Sink as they are generated; the per-user aggregates (the ingest module's
// tables) are computed in memory and emitted once per user.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dataset {

struct Options {
  int64_t users = 10000;
  int64_t machinesPerUser = 2;
  int64_t pulses = 5000000;
  uint64_t seed = 1;
  int64_t nowMs = 0;  // the year ends here
};

// Receives rows in table order per user: the user, its machines, its pulses and xps, then
// its aggregates. Languages come first.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void language(int64_t id, const std::string& name, int64_t insertedAt) = 0;
  virtual void user(int64_t id, const std::string& username, bool isPrivate, int64_t insertedAt) = 0;
  virtual void machine(int64_t id, int64_t userId, const std::string& name, int64_t insertedAt) = 0;
  virtual void pulse(int64_t id, int64_t userId, int64_t machineId, int64_t sentAt, int64_t sentAtLocal, int tzOffset,
                     int32_t localDay, int localHour, int64_t insertedAt) = 0;
  virtual void xp(int64_t id, int64_t pulseId, int64_t languageId, int64_t amount) = 0;
  // table: user_language_xps, user_machine_xps, user_day_xps, user_hour_xps
  virtual void aggregate(const char* table, int64_t userId, int64_t key, int64_t xp) = 0;
  virtual void total(int64_t userId, int64_t xp, int64_t lastPulseAt) = 0;
  virtual void finish() = 0;
};

struct Summary {
  int64_t users = 0, machines = 0, pulses = 0, xps = 0, totalXp = 0;
};

Summary generate(const Options& o, Sink& sink);

}  // namespace dataset
