// The ingest module: receives pulses from editor plugins.
// It will own POST /api/my/pulses (token auth, validation in the original order, durable
// group-committed writes of pulses, xps and per-user aggregates), the languages tables and
// their migrations, and publish pulse.created after each commit.
//
// Skeleton: for now it only answers GET /health/ingest, so the host, the loader and the
// reload path can be exercised with the real module set.
#include <codestats/sdk.hpp>

// One definition for the descriptor and the health answer.
#define INGEST_MODULE_VERSION "0.1.0"

namespace {

class IngestModule : public codestats::Module {
 public:
  explicit IngestModule(codestats::Host host) : Module(host) {
    route("GET", "/health/ingest", [](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"ingest","status":"ok","version":")" INGEST_MODULE_VERSION R"("})");
    });
  }
};

}  // namespace

CODESTATS_MODULE(IngestModule, "ingest", INGEST_MODULE_VERSION, 1)
