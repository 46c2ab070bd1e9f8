// The ingest module: POST /api/my/pulses from editor plugins (spec codestats.md §3).
// Registration only; the HTTP adapter and commands are in handlers.cpp, the SQL in
// store.cpp, and the pure logic (token, timestamp, body validation, group commit) in their
// own files, unit-tested by ingest_tests.
#include <codestats/sdk.hpp>

#include "handlers.hpp"
#include "original_import.hpp"

// One definition for the descriptor and the health answer.
#define INGEST_MODULE_VERSION "0.2.0"

namespace {

using codestats::Request;
using codestats::Response;
using Args = std::vector<std::string>;

class IngestModule : public codestats::Module {
 public:
  explicit IngestModule(codestats::Host host)
      : Module(host), ingest_(host), import_(host, [this] { ingest_.invalidate("language.aliased"); }) {
    for (const auto& m : codestats::ingest::ingestMigrations()) migration(m.version, m.name, m.sqlite, m.postgres);
    // Ingest's tables (docs/data-ownership.md); the *_v2 ones exist only inside migration 2.
    ownsTables({"languages", "pulses", "xps", "user_language_xps", "user_machine_xps", "user_day_xps", "user_hour_xps",
                "user_totals", "import_sources", "user_language_xps_v2", "user_machine_xps_v2", "user_day_xps_v2",
                "user_hour_xps_v2"});
    publishes("ingest.xp", 1,
              {"languages", "pulses", "xps", "user_language_xps", "user_machine_xps", "user_day_xps", "user_hour_xps",
               "user_totals"});
    uses("web.accounts", 1);  // token checks read users and machines

    route("GET", "/health/ingest", [](const Request&, Response& resp) {
      resp.json(200, R"({"module":"ingest","status":"ok","version":")" INGEST_MODULE_VERSION R"("})");
    });
    batchRoute(
        "POST", "/api/my/pulses", codestats::ingest::ingestBatchOptions(host),
        [this](const std::vector<Request>& reqs, std::vector<Response>& resps) { ingest_.handlePulses(reqs, resps); });

    for (const char* topic : {"machine.changed", "user.changed", "user.deleted", "language.aliased"})
      subscribe(topic, [this](std::string_view t, std::string_view payload) { ingest_.onEvent(t, payload); });
    // Web calls forget_credentials before it answers a key regeneration, a machine
    // (de)activation or deletion, or an account deletion, so this host refuses the old token
    // at authentication (every host refuses it in the pulse transaction, docs/events.md,
    // "Revoked machine keys"); and deletes accounts' and machines' data through it.
    provide("ingest", 1, [this](std::string_view method, std::string_view request) -> std::string {
      return ingest_.serve(method, request);
    });

    command("import-csv", "import-csv USERNAME FILE: imports a Code::Stats /my/pulses CSV export (idempotent)",
            [this](const Args& a) { return ingest_.importCsv(a); });
    // codestatsctl import-codestats hands an original Code::Stats database over through these.
    command("import-begin", "import-begin SOURCE: starts or resumes an import; its watermark (JSON)",
            [this](const Args& a) { return import_.begin(a); });
    command("import-defer-indexes",
            "import-defer-indexes SOURCE PULSES: drops the pulse indexes before a big first run (JSON)",
            [this](const Args& a) { return import_.deferIndexes(a); });
    command("import-languages", "import-languages SOURCE check|write JSON: languages and aliases of an import",
            [this](const Args& a) { return import_.languages(a); });
    command("import-pulses",
            "import-pulses SOURCE AFTER THROUGH BATCH [--add-to-aggregates]: one batch of pulses and xps of an import",
            [this](const Args& a) { return import_.pulses(a); });
    command("import-finish", "import-finish SOURCE SNAPSHOT_AT_MS [--all|USER_ID...]: aggregates of an import",
            [this](const Args& a) { return import_.finish(a); });
    command("import-compare", "import-compare JSON: per-user XP of an original against the aggregates (JSON)",
            [this](const Args& a) { return import_.compare(a); });
    command("alias-language", "alias-language FROM TO: makes FROM an alias of TO and moves its XP",
            [this](const Args& a) { return ingest_.aliasLanguage(a); });
    command("unalias-language", "unalias-language NAME: makes NAME canonical again and restores its XP",
            [this](const Args& a) { return ingest_.unaliasLanguage(a); });
    command("purge-orphans", "purge-orphans: removes the pulses of users and machines that no longer exist",
            [this](const Args& a) { return ingest_.purgeOrphans(a); });
    command("rebuild-aggregates", "rebuild-aggregates USERNAME|--all: recomputes the per-user aggregates",
            [this](const Args& a) { return ingest_.rebuild(a); });
    command("stats", "stats [USERNAME]: row counts and XP sums of pulses, xps and every aggregate (JSON)",
            [this](const Args& a) { return ingest_.stats(a); });
    command("pulses", "pulses USERNAME [LIMIT]: the user's latest pulses with their xps (JSON)",
            [this](const Args& a) { return ingest_.pulses(a); });
  }

 private:
  codestats::ingest::Ingest ingest_;
  codestats::ingest::OriginalImport import_;
};

}  // namespace

CODESTATS_MODULE(IngestModule, "ingest", INGEST_MODULE_VERSION, 1)
