// libFuzzer target: the request-target splitter and path normaliser, then the router's
// path matching against the route patterns the product modules register.
// Invariants: a split path starts with '/', has no empty segment and no trailing slash
// (except "/"), and normalising it again changes nothing; a route match binds at most
// one parameter per pattern capture and never reads past the path.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/path_normalizer.hpp"
#include "http/route_pattern.hpp"

using namespace codestats::host;

namespace {

const std::vector<RoutePattern>& patterns() {
  static const std::vector<RoutePattern> p = [] {
    std::vector<RoutePattern> v;
    for (const char* text : {"/", "/api/my/pulses", "/api/users/:username", "/users/:username", "/my/machines/:id",
                             "/my/machines/:id/edit", "/reset-password/:token", "/assets/*path",
                             "/hello/params/:a/*rest", "/live_update_socket/websocket", "/aliases"})
      v.emplace_back(text);
    return v;
  }();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  auto split = splitTarget(target);
  if (!split) return 0;
  const std::string& path = split->path;
  if (path.empty() || path[0] != '/') std::abort();
  if (path.find("//") != std::string::npos) std::abort();
  if (path.size() > 1 && path.back() == '/') std::abort();
  if (normalizePath(path) != path) std::abort();

  PathSegments segments(path);
  for (const auto& p : patterns()) {
    RouteParams params;
    if (p.match(segments, params)) {
      if (params.size() > segments.size() + 1) std::abort();
      for (const auto& [name, value] : params)
        if (name.empty()) std::abort();
    }
  }
  return 0;
}
