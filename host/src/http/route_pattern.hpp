// Route patterns: literal segments, ":name" (one segment), and a final "*name" (the rest,
// possibly empty). More literal segments win over captures when several routes match.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codestats::host {

using RouteParams = std::vector<std::pair<std::string, std::string>>;

// A normalised path split once per request: "/a/b" -> {"a","b"}, "/" -> {}.
// Fixed inline storage keeps the hot path free of allocations; a path with more than
// kMaxSegments segments is marked tooDeep and matches no route.
struct PathSegments {
  static constexpr size_t kMaxSegments = 32;
  explicit PathSegments(std::string_view normalizedPath);
  size_t size() const { return count; }
  std::string_view path;
  std::array<std::string_view, kMaxSegments> parts{};
  std::array<size_t, kMaxSegments> offsets{};  // offset of each part in path
  size_t count = 0;
  bool tooDeep = false;
};

class RoutePattern {
 public:
  // Throws std::invalid_argument for a malformed pattern.
  explicit RoutePattern(std::string_view pattern);
  const std::string& text() const { return text_; }
  // Score of a match (higher = more specific), or nullopt. Fills params on a match.
  std::optional<int> match(const PathSegments& path, RouteParams& params) const;
  // "/*name" alone: a module's answer for paths no other route knows (its 404 page); it
  // never hides a 405 (runtime/ModuleTable::route).
  bool fallback() const { return segments_.size() == 1 && segments_[0].kind == Segment::Rest; }

 private:
  struct Segment {
    enum Kind { Literal, Param, Rest } kind;
    std::string text;  // literal text or parameter name
  };
  std::string text_;
  std::vector<Segment> segments_;
};

}  // namespace codestats::host
