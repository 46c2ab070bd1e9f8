#include "services/RuntimeGauges.hpp"

#include <mutex>

#include "db/Database.hpp"
#include "runtime/ModuleTable.hpp"
#include "services/KvStore.hpp"
#include "services/Metrics.hpp"
#include "ws/ChannelHub.hpp"

namespace codestatsd {

std::string renderRuntimeGauges(const ModuleTable& table, const ChannelHub& hub, const KvStore& kv,
                                const db::Pool& pool, double processStartSeconds) {
  std::string info, draining, zombies, pinned;
  auto slots = table.snapshot();
  for (const auto& slot : *slots) {
    std::string m = Metrics::label("module", slot->name);
    if (GenerationPtr cur = slot->current.load())
      info += Metrics::sample("codestats_module_active_info",
                              m + "," + Metrics::label("version", cur->version) + "," +
                                  Metrics::label("generation", std::to_string(cur->id)),
                              1);
    std::lock_guard lock(slot->opMutex);
    bool zombie = slot->draining && slot->draining->state == GenState::Zombie;
    draining += Metrics::sample("codestats_module_draining_generations", m, slot->draining && !zombie ? 1 : 0);
    zombies += Metrics::sample("codestats_module_zombie_generations", m, zombie ? 1 : 0);
    pinned += Metrics::sample("codestats_module_pinned_images", m, static_cast<double>(slot->pinned.size()));
  }
  std::string out;
  out += Metrics::typeLine("codestats_module_active_info", "gauge") + info;
  out += Metrics::typeLine("codestats_module_draining_generations", "gauge") + draining;
  out += Metrics::typeLine("codestats_module_zombie_generations", "gauge") + zombies;
  out += Metrics::typeLine("codestats_module_pinned_images", "gauge") + pinned;
  out += Metrics::typeLine("codestats_ws_connections", "gauge") +
         Metrics::sample("codestats_ws_connections", "", static_cast<double>(hub.connections()));
  out += Metrics::typeLine("codestats_kv_entries", "gauge") +
         Metrics::sample("codestats_kv_entries", "", static_cast<double>(kv.size()));
  out += Metrics::typeLine("codestats_kv_bytes", "gauge") +
         Metrics::sample("codestats_kv_bytes", "", static_cast<double>(kv.bytes()));
  out += Metrics::typeLine("process_start_time_seconds", "gauge") +
         Metrics::sample("process_start_time_seconds", "", processStartSeconds);
  if (auto wal = pool.walCounters()) {
    auto counter = [&](const char* name, uint64_t v) {
      out += Metrics::typeLine(name, "counter") + Metrics::sample(name, "", static_cast<double>(v));
    };
    counter("codestats_sqlite_wal_syncs_total", wal->syncs);
    counter("codestats_sqlite_checkpoints_total", wal->checkpoints);
    counter("codestats_sqlite_wal_restarts_total", wal->restarts);
  }
  return out;
}

}  // namespace codestatsd
