// codestatsctl import-codestats: moves an original Code::Stats database into codestatsd
// (docs/operations.md, "Moving from Code::Stats"). The CLI reads the original (libpq,
// read-only, one snapshot) and orchestrates; the modules that own the tables write them
// through their admin commands: web users and machines, ingest languages, pulses, xps and
// the aggregates, the cache its warm state.
#pragma once

#include <cstdint>
#include <string>

#include "admin_client.hpp"

namespace codestats::host::ctl {

struct ImportOptions {
  std::string conninfo;
  std::string source = "codestats";  // names the watermark and id map of this original
  bool verify = false;               // compare only, write nothing
  int64_t batchPulses = 5000;        // pulses per import-pulses call
};

// Returns the process exit code: 0 done (or no differences), 1 failed or differences,
// 3 refused before anything was written (clashes).
int importCodestats(const AdminClient& admin, const ImportOptions& options);

}  // namespace codestats::host::ctl
