// JSON in and out of ProfileData: the /api/users/:name body (spec §4) and cache.v1's
// `profile` answer (docs/cache.md). No SDK.
#pragma once

#include <string>
#include <string_view>

#include "profile_data.hpp"

namespace codestats::web {

// {"dates":{…},"languages":{name:{"xps","new_xps"}},"machines":{…},"new_xp","total_xp","user"}
std::string apiUserJson(const ProfileData& p);

// Parses cache.v1 `profile`; throws std::runtime_error on a malformed answer.
ProfileData profileFromCacheJson(std::string_view json);

}  // namespace codestats::web
