// The web module: the HTML site and the JSON profile API.
// It will own accounts, machines, sessions and password resets (and their migrations),
// server-rendered profile pages, the JSON profile API and exports, reading aggregates
// through the cache.v1 service.
//
// Skeleton: for now it only answers GET /health/web, so the host, the loader and the
// reload path can be exercised with the real module set.
#include <codestats/sdk.hpp>

// One definition for the descriptor and the health answer.
#define WEB_MODULE_VERSION "0.1.0"

namespace {

class WebModule : public codestats::Module {
 public:
  explicit WebModule(codestats::Host host) : Module(host) {
    route("GET", "/health/web", [](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"web","status":"ok","version":")" WEB_MODULE_VERSION R"("})");
    });
  }
};

}  // namespace

CODESTATS_MODULE(WebModule, "web", WEB_MODULE_VERSION, 1)
