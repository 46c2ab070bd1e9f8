// cache.v1's `profile` answer as JSON (docs/cache.md "profile"): the cache module writes it
// with encodeProfile, web reads it with decodeProfile. One codec, so writer and reader
// cannot drift apart, and the reader walks a rapidjson DOM instead of building a
// Poco::Dynamic tree (the profile path's cost when a profile's data changed).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/profile.hpp"

namespace codestats::common {

// {name: {"xps": xp, "new_xps": newXp}, ...} in the items' order: the languages and machines
// of this answer and of the /api/users/:name body (spec §4) alike.
void appendNamedXps(std::string& out, const std::vector<NamedXp>& items);

// Keys in this order: user, user_id, private, registered, avatar, total_xp, new_xp,
// languages and machines ({name: {xps, new_xps}} in the vectors' order), dates, hours,
// last_programmed (the last date, or null), last_pulse_at (or null), day_language_since
// (or null), day_language_xps, stamp.
std::string encodeProfile(const Profile& p);

// The inverse. Required: user, user_id, total_xp; the rest defaults as in Profile. A date
// key that is not YYYY-MM-DD is skipped. Throws std::runtime_error ("cache.v1 profile
// answer is malformed: ...") on anything else that does not fit.
Profile decodeProfile(std::string_view json);

}  // namespace codestats::common
