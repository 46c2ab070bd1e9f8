// Gravatar addressing (spec §7.11): the hash of an address and the image URL path. Pure.
#pragma once

#include <string>
#include <string_view>

namespace codestats::web {

// Lower-case hex MD5 of the address after trimming ASCII white space and lower-casing ASCII
// letters, as Gravatar specifies (the original hashed the stored text unchanged; spec §15
// quirk 9, docs/web.md "Avatar").
std::string gravatarHash(std::string_view email);

// The path and query fetched below the configured base URL.
std::string gravatarPath(const std::string& hash);

}  // namespace codestats::web
