// What the public server needs from the module runtime: the routes modules registered, and
// the lookup of one for a request. A found route comes with a lease: the module generation
// that registered it stays loaded until the lease is dropped. runtime/ModuleTable is the
// lookup and runtime/Generation the owner; http/ includes nothing from runtime/.
#pragma once

#include <codestats/module_abi.h>

#include <memory>
#include <string>
#include <string_view>

#include "http/route_pattern.hpp"
#include "services/metrics.hpp"

namespace codestats::host {

class BatchQueue;

// One route as a module registered it (http_route, http_batch_route).
struct RouteReg {
  std::string method;  // upper case, or "*"
  RoutePattern pattern;
  cs_http_handler_fn fn;  // nullptr for a batch route
  void* ud;
  RouteStats stats{};                           // resolved when the generation is activated
  std::shared_ptr<BatchQueue> batch = nullptr;  // a batch route's queue (ABI 1.3)
};

// Who registered a route: named in the metrics and log line of a failed call.
class RouteOwner {
 public:
  virtual const std::string& moduleName() const = 0;
  virtual std::string logPrefix() const = 0;  // "[name@version#id]"

 protected:
  ~RouteOwner() = default;
};

struct RouteMatch {
  std::shared_ptr<const RouteOwner> lease;  // keeps the route (and its module) loaded
  const RouteReg* route = nullptr;
  RouteParams params;
};

enum class RouteResult { Found, NotFound, MethodNotAllowed };

class RouteLookup {
 public:
  // `allow` collects the methods of routes whose path matched (for a 405's Allow header).
  virtual RouteResult route(std::string_view method, const PathSegments& path, RouteMatch& out,
                            std::string& allow) const = 0;

 protected:
  ~RouteLookup() = default;
};

}  // namespace codestats::host
