// The ingest module: POST /api/my/pulses from editor plugins (spec codestats.md §3).
// Registration only; the HTTP adapter and commands are in handlers.cpp, the SQL in
// store.cpp, and the pure logic (token, timestamp, body validation, group commit) in their
// own files, unit-tested by ingest_tests.
#include <codestats/sdk.hpp>

#include "handlers.hpp"

// One definition for the descriptor and the health answer.
#define INGEST_MODULE_VERSION "0.2.0"

namespace {

using codestats::Request;
using codestats::Response;
using Args = std::vector<std::string>;

class IngestModule : public codestats::Module {
 public:
  explicit IngestModule(codestats::Host host) : Module(host), ingest_(host) {
    for (const auto& m : codestats::ingest::ingestMigrations()) migration(m.version, m.name, m.sqlite, m.postgres);

    route("GET", "/health/ingest", [](const Request&, Response& resp) {
      resp.json(200, R"({"module":"ingest","status":"ok","version":")" INGEST_MODULE_VERSION R"("})");
    });
    batchRoute("POST", "/api/my/pulses", codestats::ingest::ingestBatchOptions(host),
               [this](const std::vector<Request>& reqs, std::vector<Response>& resps) { ingest_.handlePulses(reqs, resps); });

    for (const char* topic : {"machine.changed", "user.changed", "user.deleted", "language.aliased"})
      subscribe(topic, [this](std::string_view t, std::string_view) { ingest_.invalidate(t); });
    // Events arrive asynchronously; web also calls this before it answers a key regeneration,
    // a machine (de)activation or deletion, or an account deletion, so the old token is
    // refused by the very next request (docs/events.md, "ingest.v1").
    provide("ingest", 1, [this](std::string_view method, std::string_view) -> std::string {
      if (method != "forget_credentials")
        throw codestats::Error(CS_E_INVALID, "ingest.v1 has no method '" + std::string(method) + "' (forget_credentials)");
      ingest_.invalidate("machine.changed");
      return "{}";
    });

    command("import-csv", "import-csv USERNAME FILE: imports a Code::Stats /my/pulses CSV export (idempotent)",
            [this](const Args& a) { return ingest_.importCsv(a); });
    command("alias-language", "alias-language FROM TO: makes FROM an alias of TO and moves its XP",
            [this](const Args& a) { return ingest_.aliasLanguage(a); });
    command("unalias-language", "unalias-language NAME: makes NAME canonical again and restores its XP",
            [this](const Args& a) { return ingest_.unaliasLanguage(a); });
    command("rebuild-aggregates", "rebuild-aggregates USERNAME|--all: recomputes the per-user aggregates",
            [this](const Args& a) { return ingest_.rebuild(a); });
    command("stats", "stats [USERNAME]: row counts and XP sums of pulses, xps and every aggregate (JSON)",
            [this](const Args& a) { return ingest_.stats(a); });
    command("pulses", "pulses USERNAME [LIMIT]: the user's latest pulses with their xps (JSON)",
            [this](const Args& a) { return ingest_.pulses(a); });
  }

 private:
  codestats::ingest::Ingest ingest_;
};

}  // namespace

CODESTATS_MODULE(IngestModule, "ingest", INGEST_MODULE_VERSION, 1)
