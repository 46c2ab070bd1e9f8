// The JSON answers of cache.v1 (docs/cache.md). Pure, no SDK.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "aggregates.hpp"
#include "directory.hpp"

namespace codestats::cache {

// profile: the spec §4 shape plus what the profile page and GraphQL need, and `stamp`
// (common/profile_codec.hpp writes it, web reads it with the same codec).
std::string renderProfile(const UserInfo& user, const UserAggregates& a, const Directory& dir, int64_t nowMs,
                          const std::string& stamp);

// The first instant (ms) at which renderProfile's answer for the same data differs from the
// one at nowMs: a pulse leaving the 12 h window, or the UTC date (the 14-day window) turning.
int64_t profileValidUntil(const UserAggregates& a, int64_t nowMs);

// Names one profile answer: equal stamps mean equal answers. nonce tells cache generations
// apart (versions restart in a new one); dirVersion covers user info and language names,
// dataVersion the aggregates; validUntil the time-dependent parts.
std::string profileStamp(uint64_t nonce, uint64_t dirVersion, uint64_t dataVersion, int64_t validUntil);

// frontpage: everyone's total, last 24 h by language, the 10 most active languages.
std::string renderFrontpage(int64_t total, const std::vector<std::pair<int64_t, int64_t>>& languages24h,
                            const Directory& dir);

// xp_history: {"xp_history":[[[[Y,M,D],[h,m]],xp],...]} newest first, the channels
// frontpage join reply (spec §6.2).
std::string renderXpHistory(const std::vector<std::pair<int64_t, int64_t>>& minutesNewestFirst);

}  // namespace codestats::cache
