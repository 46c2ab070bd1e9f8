#include "services/runtime_gauges.hpp"

#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "db/database.hpp"
#include "runtime/module_table.hpp"
#include "services/heap_stats.hpp"
#include "services/kv_store.hpp"
#include "services/metrics.hpp"
#include "ws/channel_hub.hpp"

namespace codestats::host {
namespace {

// Resident memory from /proc/self/statm (pages), 0 when unreadable.
double residentBytes() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

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
  // Memory: what the process holds against what its allocator hands out; the gap is freed
  // memory the allocator keeps (bench/README.md, "Memory after bursts").
  const HeapStats heap = heapStats();
  out += Metrics::typeLine("process_resident_memory_bytes", "gauge") +
         Metrics::sample("process_resident_memory_bytes", "", residentBytes());
  out += Metrics::typeLine("codestats_heap_allocated_bytes", "gauge") +
         Metrics::sample("codestats_heap_allocated_bytes", "", heap.allocated);
  out += Metrics::typeLine("codestats_heap_resident_bytes", "gauge") +
         Metrics::sample("codestats_heap_resident_bytes", "", heap.resident);
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

}  // namespace codestats::host
