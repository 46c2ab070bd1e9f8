// Every user's aggregates recomputed from the pulses: `ingest.rebuild-aggregates --all` and
// the end of an import that wrote many pulses (docs/decisions.md, "Where a 1M-pulse
// import's time went").
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <functional>

namespace codestats::ingest {

// Runs inside `tx`, a write transaction (SQLite's BEGIN IMMEDIATE holds the only write
// lock; on PostgreSQL this locks the aggregate tables first). `alongside(tx)` runs in it
// while the sums are being computed (an import builds its deferred indexes there).
// SQLite sums on a reader connection in passes of at most `pulsesPerPass` pulses' users,
// which bounds its memory; PostgreSQL by INSERT ... SELECT, then ANALYZE.
void rebuildEveryUser(Host& host, Tx& tx, bool postgres, int64_t pulsesPerPass,
                      const std::function<void(Tx&)>& alongside);

// modules.ingest.rebuild_pulses_per_pass (1,000,000; 1..1,000,000,000): an invalid value is
// an error when the module is created.
int64_t rebuildPulsesPerPass(const Host& host);

}  // namespace codestats::ingest
