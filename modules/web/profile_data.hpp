// One user's profile statistics as the pages and APIs need them (spec §4, §7.10), whether
// they came from cache.v1 (common/profile_codec.hpp) or from ingest's aggregate tables: the
// shared common::Profile under web's names. No SDK.
#pragma once

#include "common/profile.hpp"
#include "common/timestamp.hpp"

namespace codestats::web {

using RecentXp = common::NamedXp;
using DayLanguage = common::DayLanguageXp;
using ProfileData = common::Profile;

using common::isoDate;
using common::parseIsoDate;

// Sorts languages and machines by XP descending (name ascending on ties) and dates ascending.
void normalise(ProfileData& p);

}  // namespace codestats::web
