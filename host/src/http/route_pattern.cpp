#include "http/route_pattern.hpp"

#include <stdexcept>

#include "http/path_normalizer.hpp"

namespace codestats::host {

PathSegments::PathSegments(std::string_view p) : path(p) {
  size_t start = 1;
  while (start < p.size()) {
    if (count == kMaxSegments) {
      tooDeep = true;
      return;
    }
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    parts[count] = p.substr(start, end - start);
    offsets[count] = start;
    ++count;
    start = end + 1;
  }
}

RoutePattern::RoutePattern(std::string_view pattern) : text_(normalizePath(pattern)) {
  if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route pattern must start with '/'");
  PathSegments segs(text_);
  if (segs.tooDeep) throw std::invalid_argument("route pattern has too many segments: " + text_);
  for (size_t k = 0; k < segs.count; ++k) {
    std::string_view seg = segs.parts[k];
    if (!segments_.empty() && segments_.back().kind == Segment::Rest)
      throw std::invalid_argument("'*' capture must be the last segment: " + text_);
    if (seg[0] == ':' || seg[0] == '*') {
      if (seg.size() < 2) throw std::invalid_argument("capture without a name in " + text_);
      segments_.push_back({seg[0] == ':' ? Segment::Param : Segment::Rest, std::string(seg.substr(1))});
    } else {
      segments_.push_back({Segment::Literal, std::string(seg)});
    }
  }
}

std::optional<int> RoutePattern::match(const PathSegments& path, RouteParams& params) const {
  params.clear();
  if (path.tooDeep) return std::nullopt;
  int score = 0;
  size_t i = 0;
  for (const auto& seg : segments_) {
    if (seg.kind == Segment::Rest) {
      std::string rest = i < path.count ? std::string(path.path.substr(path.offsets[i])) : std::string();
      params.emplace_back(seg.text, std::move(rest));
      return score;
    }
    if (i >= path.count) return std::nullopt;
    if (seg.kind == Segment::Literal) {
      if (path.parts[i] != seg.text) return std::nullopt;
      score += 2;
    } else {
      params.emplace_back(seg.text, std::string(path.parts[i]));
      score += 1;
    }
    ++i;
  }
  if (i != path.count) return std::nullopt;
  return score;
}

}  // namespace codestats::host
