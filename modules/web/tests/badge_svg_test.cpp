// The profile badge's SVG: its texts, escaping and widths.
#include <catch2/catch.hpp>

#include "badge_svg.hpp"

using namespace codestats::web;

namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("badge: the level text", "[web][badge]") {
  CHECK(badgeValue(0) == "level 0 (0 XP)");
  CHECK(badgeValue(3807) == "level 1 (3,807 XP)");
  CHECK(badgeValue(1234567) == "level 27 (1,234,567 XP)");
}

TEST_CASE("badge: an SVG with both texts, escaped, as wide as they are", "[web][badge]") {
  std::string svg = badgeSvg("code::stats", "level 1 (3,807 XP)");
  CHECK(svg.rfind(R"(<svg xmlns="http://www.w3.org/2000/svg" width=")", 0) == 0);
  CHECK(contains(svg, ">code::stats</text>"));
  CHECK(contains(svg, ">level 1 (3,807 XP)</text>"));
  CHECK(contains(svg, "<title>code::stats: level 1 (3,807 XP)</title>"));
  CHECK(svg.size() > 6);
  CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
  // 11 + 18 characters at 7 px, 10 px padding on each side of both parts.
  CHECK(contains(svg, R"(width="243" height="20")"));

  std::string odd = badgeSvg("C<&>\"'#", "x");
  CHECK(contains(odd, ">C&lt;&amp;&gt;&quot;&#39;#</text>"));
  CHECK_FALSE(contains(odd, "C<&"));
  CHECK_FALSE(contains(badgeSvg(std::string("a\x01"
                                            "b",
                                            3),
                                "v"),
                       "\x01"));
  // Characters, not bytes: "Ü" is one character wide.
  CHECK(contains(badgeSvg("Ü", "v"), R"(width="54")"));  // (1 + 1) * 7 + 4 * 10
}
