// The cache module: the cache.v1 service (profile, frontpage, xp_history) answered from warm
// memory, kept exact by pulse.created and the invalidation events, warmed in host worker
// tasks while serving, and handed to the next generation on reload (docs/cache.md).
// Registration only; the work is in warm_cache.cpp, the pure logic in the other files.
#include <codestats/json.hpp>
#include <codestats/sdk.hpp>

#include "state_codec.hpp"
#include "warm_cache.hpp"

// One definition for the descriptor and the health answer.
#define CACHE_MODULE_VERSION "0.3.0"

namespace {

using codestats::cache::Settings;
using Args = std::vector<std::string>;

Settings settingsFrom(codestats::Host& host) {
  host.rejectUnknownConfig({"warmup", "warmup_slice_users", "evict_idle_s", "refresh_interval_ms"});
  Settings s;
  s.warmup = host.configBool("warmup", s.warmup);
  s.sliceUsers = host.configInt("warmup_slice_users", s.sliceUsers);
  s.evictIdleMs = host.configInt("evict_idle_s", 0) * 1000;
  s.refreshIntervalMs = host.configInt("refresh_interval_ms", s.refreshIntervalMs);
  if (s.sliceUsers < 1 || s.sliceUsers > 100000)
    throw codestats::Error(CS_E_INVALID, "modules.cache.warmup_slice_users must be 1-100000");
  if (s.evictIdleMs < 0) throw codestats::Error(CS_E_INVALID, "modules.cache.evict_idle_s must be >= 0");
  if (s.refreshIntervalMs < 100)
    throw codestats::Error(CS_E_INVALID, "modules.cache.refresh_interval_ms must be >= 100");
  return s;
}

class CacheModule : public codestats::Module {
 public:
  explicit CacheModule(codestats::Host host) : Module(host), cache_(host, settingsFrom(this->host())) {
    // No tables of its own: it reads the read contracts (docs/data-ownership.md).
    uses("ingest.xp", 1);
    uses("web.accounts", 1);
    uses("host.events", 2);  // the log position of each snapshot it reads
    route("GET", "/health/cache", [](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"cache","status":"ok","version":")" CACHE_MODULE_VERSION R"("})");
    });
    provide("cache", 1, [this](std::string_view method, std::string_view req) { return cache_.call(method, req); });
    // With sequence numbers: a pulse delivered again (after a crash) is not counted twice.
    for (const char* topic : {"pulse.created", "user.changed", "user.deleted", "machine.changed", "language.aliased",
                              "xp.deleted", "events.lost"})
      consume(topic,
              [this](uint64_t seq, std::string_view t, std::string_view payload) { cache_.onEvent(seq, t, payload); });
    every("refresh", std::chrono::milliseconds(settingsRefresh()), [this] {
      cache_.refreshTick();
      reportSize();
    });

    command("rebuild",
            "rebuild USERNAME|--all: recomputes cached aggregates from the pulses table (--all in the background)",
            [this](const Args& a) { return cache_.rebuildCommand(a); });
    command("reload",
            "reload --all|USER_ID...: loads users from the aggregate tables (after an import rebuilt them; in the "
            "background)",
            [this](const Args& a) { return cache_.reloadCommand(a); });
    command("status", "status: warm-up progress, warm users, queues and memory (JSON)",
            [this](const Args&) { return cache_.statusJson(); });
    command("frontpage", "frontpage: the cache.v1 frontpage answer (JSON)",
            [this](const Args&) { return cache_.call("frontpage", "{}") + "\n"; });
    command("xp-history", "xp-history: the cache.v1 xp_history answer (JSON)",
            [this](const Args&) { return cache_.call("xp_history", "{}") + "\n"; });
    command("profile", "profile USERNAME [VIEWER]: the cache.v1 profile answer (JSON)", [this](const Args& a) {
      if (a.empty() || a.size() > 2) throw codestats::Error(CS_E_INVALID, "usage: cache.profile USERNAME [VIEWER]");
      std::string req = "{\"username\":" + codestats::jsonString(a[0]);
      if (a.size() == 2) req += ",\"viewer\":" + codestats::jsonString(a[1]);
      return cache_.call("profile", req + "}") + "\n";
    });
  }

  void start() override { cache_.start(); }
  void stop() override { cache_.stop(); }
  std::string exportState() override { return cache_.exportState(); }
  void importState(uint32_t schema, std::string_view blob, bool final) override {
    cache_.importState(schema, blob, final);
  }

 private:
  int64_t settingsRefresh() { return host().configInt("refresh_interval_ms", 10'000); }
  // The cache size on /metrics: codestats_cache_warm_users and codestats_cache_bytes (the
  // same estimate as cache.status "bytes"), refreshed on every refresher tick.
  void reportSize() {
    auto st = cache_.storeStats();
    host().gauge("warm_users", static_cast<double>(st.warm));
    host().gauge("bytes", static_cast<double>(st.bytes));
  }

  codestats::cache::WarmCache cache_;
};

}  // namespace

CODESTATS_MODULE(CacheModule, "cache", CACHE_MODULE_VERSION, codestats::cache::kStateSchema)
