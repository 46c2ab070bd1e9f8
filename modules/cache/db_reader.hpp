// Every read the cache makes from the database: plain SELECTs on the ingest and web tables
// (modules/ingest/store.cpp, modules/web/module.cpp), nothing that depends on their physical
// layout. A user's snapshot is one statement, so it is consistent on both backends.
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "aggregates.hpp"
#include "directory.hpp"
#include "frontpage_state.hpp"

namespace codestats::cache {

enum class Source { Aggregates, Pulses };

struct UserBatch {
  std::unordered_map<int64_t, UserAggregates> users;  // every existing user in the range
  std::unordered_map<int64_t, UserInfo> info;
  int64_t pulses = 0;        // pulses of these users (progress figure)
  uint64_t logPosition = 0;  // the event log's head in the same snapshot (host.events v2)
};

// Users with ids in [from, to]: totals from the aggregate tables (warm-up) or recomputed from
// the pulses table (rebuild), their recent xp rows, machines and directory rows.
UserBatch readUsers(Host& host, int64_t from, int64_t to, int64_t nowMs, Source source, bool countPulses);

std::vector<UserInfo> readDirectory(Host& host);
std::optional<UserInfo> readUserByName(Host& host, const std::string& username, bool caseInsensitive);
std::optional<UserInfo> readUserById(Host& host, int64_t id);
void readLanguages(Host& host, Directory& dir);
std::optional<int64_t> readLanguageId(Host& host, Directory& dir, const std::string& name);

FrontpageSnapshot readFrontpage(Host& host, int64_t nowMs);

}  // namespace codestats::cache
