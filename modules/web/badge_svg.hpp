// The profile badge's picture (GET /users/:name/badge.svg, docs/web.md "Badges"): an SVG
// in the style of README badges. Pure, no SDK.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace codestats::web {

// "level 12 (123,456 XP)" (spec §5 levels).
std::string badgeValue(int64_t xp);

// A two-part badge: `label` on the dark left part, `value` on the blue right part. The text
// is XML-escaped; each part is as wide as its text at a fixed 7 px per character (no font
// metrics: the text is centred, so a narrower font only leaves more margin).
std::string badgeSvg(std::string_view label, std::string_view value);

}  // namespace codestats::web
