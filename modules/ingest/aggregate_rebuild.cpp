#include "aggregate_rebuild.hpp"

#include <future>
#include <limits>

#include "aggregate_sums.hpp"
#include "store.hpp"

namespace codestats::ingest {
namespace {

// Rows per read: a result set is materialised (7 values of 56 bytes a row); pages of 100,000
// rows made the scan 3 to 5 times slower than these, mostly in page faults of fresh memory.
constexpr int64_t kScanRows = 10000;

// The sums of the users in `range`, read through a reader connection. Called while the
// caller's write transaction holds the write lock: the reader's snapshot then holds every
// committed pulse, and no other writer commits before the caller does. One scan of xps in
// rowid order, each joined to its pulse by primary key: four GROUP BY statements sorted all
// xps four times (6 of the 12 s of importing 1M pulses, bench/README.md). CROSS JOIN keeps
// xps the outer loop and the unary + keeps the user index out (without them, SQLite chose to
// walk pulses by user for the range: 1.6 s instead of 0.03 s per page).
AggregateSums sumUsers(Host& host, UserRange range) {
  AggregateSums sums;
  for (int64_t after = std::numeric_limits<int64_t>::min();;) {
    Rows r = host.query(
        "SELECT x.id, p.user_id, p.machine_id, p.local_day, p.local_hour, x.language_id, x.amount FROM xps x CROSS "
        "JOIN pulses p ON p.id = x.pulse_id WHERE x.id > $1 AND +p.user_id BETWEEN $2 AND $3 ORDER BY x.id LIMIT $4",
        {after, range.from, range.to, kScanRows});
    for (size_t i = 0; i < r.size(); ++i) {
      Row row = r[i];
      const int64_t user = row.i64(1), amount = row.i64(6);
      sums.addXp(user, row.i64(5), amount);
      sums.addPulseRows(user, row.i64(2), row.i64(3), row.i64(4), amount);
    }
    if (r.size() < static_cast<size_t>(kScanRows)) return sums;
    after = r[r.size() - 1].i64(0);
  }
}

// User ranges of at most `perPass` pulses each (the sums' memory), and for a big rebuild
// at least kPipelinePasses of them: the writer inserts one pass's rows while the reader
// sums the next.
constexpr int64_t kPipelineFrom = 100000;
constexpr int64_t kPipelinePasses = 4;

std::vector<UserRange> planPasses(Host& host, int64_t perPass) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  Rows c = host.query("SELECT COUNT(*), COALESCE(MIN(user_id), 0), COALESCE(MAX(user_id), 0) FROM pulses");
  const int64_t pulses = c[0].i64(0);
  std::vector<UserRange> passes;
  if (pulses > perPass) {
    Rows r = host.query("SELECT user_id, COUNT(*) FROM pulses GROUP BY user_id ORDER BY user_id");
    std::vector<std::pair<int64_t, int64_t>> counts;
    counts.reserve(r.size());
    for (size_t i = 0; i < r.size(); ++i) counts.emplace_back(r[i].i64(0), r[i].i64(1));
    passes = splitUsers(counts, perPass);
  } else if (pulses >= kPipelineFrom) {
    passes = evenUserRanges(c[0].i64(1), c[0].i64(2), kPipelinePasses);
  }
  if (passes.empty()) return {UserRange{kMin, kMax}};
  passes.front().from = kMin;
  passes.back().to = kMax;
  return passes;
}

void insertEvery(Tx& tx, const std::vector<AggregateRow>& rows, const char* head) {
  insertAggregateRows(tx, rows, head, "", false);
}

void insertSums(Tx& tx, const AggregateSums& sums) {
  insertEvery(tx, sums.languages(), "INSERT INTO user_language_xps (user_id, language_id, xp) VALUES ");
  insertEvery(tx, sums.machines(), "INSERT INTO user_machine_xps (user_id, machine_id, xp) VALUES ");
  insertEvery(tx, sums.days(), "INSERT INTO user_day_xps (user_id, day, xp) VALUES ");
  insertEvery(tx, sums.hours(), "INSERT INTO user_hour_xps (user_id, hour, xp) VALUES ");
}

}  // namespace

void rebuildEveryUser(Host& host, Tx& tx, bool postgres, int64_t pulsesPerPass,
                      const std::function<void(Tx&)>& alongside) {
  if (postgres) {
    // Concurrent pulse batches add to these rows: they wait for the rewrite.
    tx.query(
        "LOCK TABLE user_language_xps, user_machine_xps, user_day_xps, user_hour_xps, user_totals IN EXCLUSIVE MODE");
    alongside(tx);
    deleteEveryAggregate(tx);
    insertEverySumBySql(tx);
    insertEveryTotal(tx);
    // Statistics of what was just written: the cache's reads of the next seconds are
    // planned with them (autovacuum gets to these tables later).
    tx.query("ANALYZE pulses, xps, user_language_xps, user_machine_xps, user_day_xps, user_hour_xps, user_totals");
    return;
  }
  std::vector<UserRange> passes = planPasses(host, pulsesPerPass);
  auto sumLater = [&host](UserRange range) {
    return std::async(std::launch::async, [&host, range] { return sumUsers(host, range); });
  };
  auto next = sumLater(passes.front());
  alongside(tx);
  deleteEveryAggregate(tx);
  for (size_t i = 0; i < passes.size(); ++i) {
    AggregateSums sums = next.get();
    if (i + 1 < passes.size()) next = sumLater(passes[i + 1]);  // summed while these are written
    insertSums(tx, sums);
  }
  insertEveryTotal(tx);
}

int64_t rebuildPulsesPerPass(const Host& host) {
  // Rebuilding the 1M-pulse bench original raised the host's peak RSS by 75 MB.
  int64_t n = host.configInt("modules.ingest.rebuild_pulses_per_pass", 1000000);
  if (n < 1 || n > 1000000000)
    throw Error(CS_E_INVALID, "modules.ingest.rebuild_pulses_per_pass must be 1..1000000000");
  return n;
}

}  // namespace codestats::ingest
