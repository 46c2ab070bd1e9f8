// The write side of the module runtime: load, reload and unload modules, following the
// lifecycle in docs/plugin-host.md:
//
//   copy+dlopen+validate -> create (staged registrations) -> migrations -> import snapshot
//   -> start -> ACTIVE (atomic swap; old timers disarmed, new ones armed)
//   old: DRAINING (wait for leases) -> stop -> export -> new.import(final) -> destroy
//        -> dlclose -> verify unmapped (else PINNED); past the drain timeout: ZOMBIE.
//
// Any failure before activation leaves the old generation serving. At most one draining
// generation per module: a reload while one drains is refused (HTTP 409).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <string>
#include <thread>

#include "abi/host_services.hpp"
#include "config/config.hpp"
#include "runtime/module_loader.hpp"
#include "runtime/module_table.hpp"

namespace codestats::host {

class Scheduler;
class CrashLoopGuard;

struct OperationResult {
  int httpStatus = 200;  // 200 ok, 400 invalid name, 404 unknown module, 409 draining/exists, 422 rejected
  std::string outcome;   // "activated", "unloaded", "rejected", "conflict", "not_found", "invalid"
  std::string message;   // the reason, for operators
  std::string module;
  uint64_t generation = 0;
  uint64_t previousGeneration = 0;
  std::string version;
  double drainMs = -1;  // when waited for
};

class ModuleManager {
 public:
  // guard (may be null) records every activation before the swap (crash-loop guard)
  ModuleManager(HostServices& services, ModuleTable& table, Scheduler& scheduler, ModuleLoader& loader,
                std::function<HostConfig()> currentConfig, CrashLoopGuard* guard = nullptr);
  ~ModuleManager();  // unloads everything (drains first)

  std::string defaultArtifact(const std::string& module) const;

  OperationResult load(const std::string& module, const std::string& artifact);
  // artifact empty: the configured (or default) artifact. wait: block until the old
  // generation finished draining (or became a zombie).
  OperationResult reload(const std::string& module, const std::string& artifact, bool wait);
  OperationResult unload(const std::string& module);
  void unloadAll();

  // Brings the loaded set in line with the configuration (SIGHUP).
  std::vector<OperationResult> reconcile(const HostConfig& config);

  // JSON for the admin API.
  std::string describeJson(const std::string& onlyModule = {}) const;

  // Host upgrade. The old host: every loaded module's export_state, each taken under the
  // module's operation lock like a reload's snapshot. The new host: a state its load
  // imports (final), as if an unload had parked it.
  struct ExportedState {
    std::string module;
    uint32_t schema = 0;
    std::string blob;
  };
  std::vector<ExportedState> exportStates();
  void parkState(const std::string& module, uint32_t schema, std::string blob);

 private:
  GenerationPtr build(ModuleSlot& slot, const std::string& artifact, const ModuleSettings& settings,
                      const GenerationPtr& previous);
  void activate(ModuleSlot& slot, const GenerationPtr& gen);
  void armTimers(const ModuleSlotPtr& slot, const GenerationPtr& gen);
  void disarmTimers(Generation& gen);
  // Finishes a drained generation: stop, export/hand over, destroy, dlclose, verify.
  void retire(ModuleSlot& slot, GenerationPtr gen);
  void reaperLoop();
  void waitDrained(ModuleSlot& slot, std::unique_lock<std::mutex>& lock);
  ModuleSlotPtr slotFor(const std::string& module, bool create);

  HostServices& services_;
  ModuleTable& table_;
  Scheduler& scheduler_;
  ModuleLoader& loader_;
  std::function<HostConfig()> currentConfig_;
  CrashLoopGuard* guard_;
  std::mutex tableMutex_;  // serialises slot creation

  // (module, version) pairs this host has seen applied: a reload whose migrations are all
  // known skips the database round trips entirely.
  std::mutex migrationsMutex_;
  std::mutex ownershipMutex_;  // table-ownership check, migrations and record of one load
  std::set<std::pair<std::string, int64_t>> appliedMigrations_;

  std::mutex reaperMutex_;
  std::condition_variable reaperCv_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace codestats::host
