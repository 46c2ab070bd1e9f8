#include "badge_svg.hpp"

#include "levels.hpp"
#include "profile_view.hpp"

namespace codestats::web {
namespace {

constexpr int kCharWidth = 7;
constexpr int kPadding = 10;  // each side of a part's text

std::string xmlEscaped(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;  // no control characters in XML 1.0
    }
  }
  return out;
}

// Characters, not bytes: UTF-8 continuation bytes take no width.
int textWidth(std::string_view s) {
  int chars = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  return chars * kCharWidth;
}

}  // namespace

std::string badgeValue(int64_t xp) { return "level " + std::to_string(levelOf(xp)) + " (" + formatXp(xp) + " XP)"; }

std::string badgeSvg(std::string_view label, std::string_view value) {
  const int left = textWidth(label) + 2 * kPadding;
  const int right = textWidth(value) + 2 * kPadding;
  const std::string l = xmlEscaped(label), v = xmlEscaped(value);
  const std::string w = std::to_string(left + right), lw = std::to_string(left), rw = std::to_string(right);
  std::string out;
  out.reserve(700 + 2 * (l.size() + v.size()));
  out += R"(<svg xmlns="http://www.w3.org/2000/svg" width=")" + w + R"(" height="20" role="img" aria-label=")" + l +
         ": " + v + R"(">)";
  out += "<title>" + l + ": " + v + "</title>";
  out += R"(<rect width=")" + lw + R"(" height="20" rx="3" fill="#222"/>)";
  out += R"(<rect x=")" + lw + R"(" width=")" + rw + R"(" height="20" rx="3" fill="#1e6fb8"/>)";
  out += R"(<rect x=")" + lw + R"(" width="4" height="20" fill="#1e6fb8"/>)";
  out += R"(<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">)";
  out += R"(<text x=")" + std::to_string(left / 2) + R"(" y="14">)" + l + "</text>";
  out += R"(<text x=")" + std::to_string(left + right / 2) + R"(" y="14">)" + v + "</text>";
  out += "</g></svg>\n";
  return out;
}

}  // namespace codestats::web
