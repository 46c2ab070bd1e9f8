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

constexpr uint32_t kStateSchema = 3;  // 1 was the stateless skeleton; 3 added UserInfo::avatar

struct FullState {
  std::vector<UserInfo> users;
  std::vector<std::pair<int64_t, std::string>> languages;  // id -> name
  std::vector<UserAggregates> warm;
  FrontpageState::Export frontpage;
  bool warmupDone = false;
};
using Journal = std::vector<std::pair<std::string, std::string>>;  // (topic, payload)

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
