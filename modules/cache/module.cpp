// The cache module: warm aggregates for pages and channels.
// It will provide the cache.v1 service (profile, frontpage, xp_history), keep its
// aggregates in the host KV store so they survive a reload, and update them from
// pulse.created and the invalidation events.
//
// Skeleton: for now it only answers GET /health/cache, so the host, the loader and the
// reload path can be exercised with the real module set.
#include <codestats/sdk.hpp>

// One definition for the descriptor and the health answer.
#define CACHE_MODULE_VERSION "0.1.0"

namespace {

class CacheModule : public codestats::Module {
 public:
  explicit CacheModule(codestats::Host host) : Module(host) {
    route("GET", "/health/cache", [](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"cache","status":"ok","version":")" CACHE_MODULE_VERSION R"("})");
    });
  }
};

}  // namespace

CODESTATS_MODULE(CacheModule, "cache", CACHE_MODULE_VERSION, 1)
