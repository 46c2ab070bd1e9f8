// The state a cache generation hands to the next one (export_state / import_state), in a
// compact binary format owned by this module. Pure, no SDK.
//
//   'F' full: the user directory, every warm user, the front page, the warm-up cursor;
//   'J' journal: the events the old generation handled after its snapshot was taken
//       (the new generation replays them, docs/cache.md "Reload").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aggregates.hpp"
#include "directory.hpp"
#include "frontpage_state.hpp"

namespace codestats::cache {

// 1 was the stateless skeleton; 3 added UserInfo::avatar; 4 the event log positions
constexpr uint32_t kStateSchema = 4;

struct FullState {
  std::vector<UserInfo> users;
  std::vector<std::pair<int64_t, std::string>> languages;  // id -> name
  std::vector<UserAggregates> warm;
  FrontpageState::Export frontpage;
  bool warmupDone = false;
};
struct JournalEntry {
  uint64_t seq = 0;
  std::string topic, payload;
  bool operator==(const JournalEntry&) const = default;
};
using Journal = std::vector<JournalEntry>;

std::string encodeFull(const FullState& s);
std::string encodeJournal(const Journal& j);

struct DecodedState {
  bool isJournal = false;
  FullState full;
  Journal journal;
};
// Throws std::runtime_error on a truncated or unknown blob.
DecodedState decodeState(std::string_view blob);

}  // namespace codestats::cache
