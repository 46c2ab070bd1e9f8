// Small database helpers for the web module.
#pragma once

#include <codestats/sdk.hpp>

#include <string>

namespace codestats::web {

// Whether a table exists (the ingest tables are absent when only web is loaded).
inline bool tableExists(Host& host, const std::string& table) {
  if (host.dbBackend() == CS_DB_POSTGRES)
    return !host.query(
                    "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
                    {table})
                .empty();
  return !host.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {table}).empty();
}

}  // namespace codestats::web
