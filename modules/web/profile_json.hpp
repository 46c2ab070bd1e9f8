// The /api/users/:name body (spec §4) from ProfileData (cache.v1's answer is read with
// common/profile_codec.hpp). No SDK.
#pragma once

#include <string>

#include "profile_data.hpp"

namespace codestats::web {

// {"dates":{…},"languages":{name:{"xps","new_xps"}},"machines":{…},"new_xp","total_xp","user"}
std::string apiUserJson(const ProfileData& p);

}  // namespace codestats::web
