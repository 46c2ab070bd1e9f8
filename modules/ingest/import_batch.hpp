// The pulse batches of ingest.import-pulses (codestatsctl import-codestats): pure parsing
// and the stored times of an original Code::Stats pulse, legacy rows included. No SDK.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"

namespace codestats::ingest {

struct ImportedXp {
  int64_t languageId = 0, originalLanguageId = 0, amount = 0;
};

struct ImportedPulse {
  int64_t sourceId = 0, userId = 0, machineId = 0, insertedAtMs = 0;
  common::PulseTime time;
  bool legacy = false;  // no sent_at_local or tz_offset in the original (before April 2017)
  std::vector<ImportedXp> xps;
};

// One pulse per line, integers separated by single spaces, ids already those of the target:
//   SOURCE_ID USER_ID MACHINE_ID SENT_AT_MS LOCAL_MS|- TZ_OFFSET|- INSERTED_AT_MS [LANG ORIG AMOUNT]...
// A missing local time is the original's legacy row: its cache used sent_at for the local
// date and hour (spec §1.7), so the local time is sent_at shifted by the offset if there
// is one, else sent_at with offset 0. Throws std::invalid_argument naming the line.
std::vector<ImportedPulse> parsePulseBatch(std::string_view text);

// Local day (yyyymmdd) and hour of a local wall time in ms.
void setLocalDayHour(common::PulseTime& t);

}  // namespace codestats::ingest
