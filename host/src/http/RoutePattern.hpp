// Route patterns: literal segments, ":name" (one segment), and a final "*name" (the rest,
// possibly empty). More literal segments win over captures when several routes match.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codestatsd {

using RouteParams = std::vector<std::pair<std::string, std::string>>;

// A normalised path split once per request: "/a/b" -> {"a","b"}, "/" -> {}.
struct PathSegments {
  explicit PathSegments(std::string_view normalizedPath);
  std::string_view path;
  std::vector<std::string_view> parts;
  std::vector<size_t> offsets;  // offset of each part in path
};

class RoutePattern {
 public:
  // Throws std::invalid_argument for a malformed pattern.
  explicit RoutePattern(std::string_view pattern);
  const std::string& text() const { return text_; }
  // Score of a match (higher = more specific), or nullopt. Fills params on a match.
  std::optional<int> match(const PathSegments& path, RouteParams& params) const;

 private:
  struct Segment {
    enum Kind { Literal, Param, Rest } kind;
    std::string text;  // literal text or parameter name
  };
  std::string text_;
  std::vector<Segment> segments_;
};

}  // namespace codestatsd
