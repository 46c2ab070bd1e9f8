#include "http/path_normalizer.hpp"

#include <vector>

namespace codestats::host {

std::string normalizePath(std::string_view path) {
  std::string out;
  out.reserve(path.size() + 1);
  out.push_back('/');
  for (char c : path) {
    if (c == '/' && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::optional<SplitTarget> splitTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  size_t hash = path.find('#');
  if (hash != std::string_view::npos) path = path.substr(0, hash);
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return std::nullopt;
  }
  SplitTarget out;
  out.path = normalizePath(path);
  // Reject dot segments: no route uses them and they only serve path-traversal tricks.
  size_t start = 1;
  while (start <= out.path.size()) {
    size_t end = out.path.find('/', start);
    if (end == std::string::npos) end = out.path.size();
    std::string_view seg(out.path.data() + start, end - start);
    if (seg == "." || seg == "..") return std::nullopt;
    start = end + 1;
  }
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    size_t h = query.find('#');
    out.query = std::string(query.substr(0, h));
  }
  return out;
}

}  // namespace codestats::host
