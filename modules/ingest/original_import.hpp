// Ingest's part of `codestatsctl import-codestats` (docs/operations.md, "Moving from
// Code::Stats"): languages, pulses and xps of an original Code::Stats database, handed over
// in batches by the CLI, written by ingest, which owns those tables. Per source one
// watermark row (import_sources) makes a run resumable and a second run a delta import.
#pragma once

#include <codestats/sdk.hpp>

#include <functional>
#include <string>
#include <vector>

namespace codestats::ingest {

class OriginalImport {
 public:
  // `languagesChanged` drops ingest's language cache.
  OriginalImport(Host host, std::function<void()> languagesChanged)
      : host_(host), languagesChanged_(std::move(languagesChanged)) {}

  // import-begin SOURCE: the source's watermark row, created on the first run (its pulse id
  // offset is fixed then: 0 into a target without pulses, else the target's highest id);
  // "interrupted": batches were committed after the last finished run (a killed run).
  std::string begin(const std::vector<std::string>& args);
  // import-defer-indexes SOURCE PULSES: before a first run's PULSES pulses, drops the
  // secondary indexes of pulses and xps when that many rows are cheaper to index at once
  // afterwards (import-finish builds them again); a delta keeps them. JSON {"deferred":bool}.
  std::string deferIndexes(const std::vector<std::string>& args);
  // import-languages SOURCE check|write JSON: [{"id","name","alias_of","inserted_at"}].
  std::string languages(const std::vector<std::string>& args);
  // import-pulses SOURCE AFTER THROUGH BATCH (import_batch.hpp): one transaction with the
  // watermark, which must be AFTER and becomes THROUGH. Pulses at or below AFTER (a delta's
  // look-back) that are there already are skipped; a pulse whose id the target gave to a
  // pulse of its own meanwhile gets a new id. The answer names the users of look-back
  // pulses that were stored (their aggregates need a rebuild too). --add-to-aggregates (a
  // delta after a finished run, whose aggregates hold every earlier pulse): the batch's
  // sums are added to the aggregates in the same transaction, so import-finish rebuilds
  // nobody.
  std::string pulses(const std::vector<std::string>& args);
  // import-finish SOURCE SNAPSHOT_AT_MS [--all|USER_ID...]: the deferred indexes built
  // again, the aggregates of those users rebuilt from the pulses (once per run, not per
  // batch), sequences moved past the explicit ids, the run recorded.
  std::string finish(const std::vector<std::string>& args);
  // import-compare JSON: [{"user_id","total","languages":{id:xp},"machines":{id:xp}}] (target
  // ids) against the aggregates; the differences as JSON.
  std::string compare(const std::vector<std::string>& args);

 private:
  Host host_;
  std::function<void()> languagesChanged_;
};

}  // namespace codestats::ingest
