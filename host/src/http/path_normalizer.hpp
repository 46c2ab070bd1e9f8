// Request-target handling shared by the router and the fuzz target: split the target into
// path and query, collapse duplicate slashes and drop a trailing slash, never redirecting
// (editor plugins post to /api//my/pulses and /api/my/pulses/ and expect a 201).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace codestats::host {

struct SplitTarget {
  std::string path;   // normalised, still percent-encoded
  std::string query;  // without '?'
};

// nullopt for targets that are not origin-form paths (e.g. "*", absolute URLs, control
// characters, dot segments escaping the root); the caller answers 400.
std::optional<SplitTarget> splitTarget(std::string_view target);

std::string normalizePath(std::string_view path);

}  // namespace codestats::host
