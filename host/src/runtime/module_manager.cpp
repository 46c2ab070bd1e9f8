#include "runtime/module_manager.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include "abi/exchange.hpp"
#include "abi/host_api.hpp"
#include "db/database.hpp"
#include "events/event_bus.hpp"
#include "runtime/crash_loop_guard.hpp"
#include "runtime/module_name.hpp"
#include "services/metrics.hpp"
#include "services/scheduler.hpp"
#include "services/worker_pool.hpp"
#include "util/thread_priority.hpp"

namespace codestats::host {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

OperationResult outcome(int status, const char* what, const std::string& message, const std::string& module) {
  OperationResult r;
  r.httpStatus = status;
  r.outcome = what;
  r.message = message;
  r.module = module;
  return r;
}

// Before anything else: the name becomes part of paths (and of a slot shown forever).
OperationResult invalidName(const std::string& module) {
  return outcome(400, "invalid", invalidModuleNameMessage(module), module);
}

OperationResult rejected(const std::string& module, const std::string& why) {
  return outcome(422, "rejected", why, module);
}

OperationResult done(const char* what, const std::string& module, uint64_t gen, uint64_t previous,
                     const std::string& version) {
  OperationResult r = outcome(200, what, "", module);
  r.generation = gen;
  r.previousGeneration = previous;
  r.version = version;
  return r;
}

}  // namespace

ModuleManager::ModuleManager(HostServices& services, ModuleTable& table, Scheduler& scheduler, ModuleLoader& loader,
                             std::function<HostConfig()> currentConfig, CrashLoopGuard* guard)
    : services_(services), table_(table), scheduler_(scheduler), loader_(loader),
      currentConfig_(std::move(currentConfig)), guard_(guard), reaper_([this] { reaperLoop(); }) {}

ModuleManager::~ModuleManager() {
  unloadAll();
  {
    std::lock_guard lock(reaperMutex_);
    stopping_ = true;
  }
  reaperCv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
}

std::string ModuleManager::defaultArtifact(const std::string& module) const {
  HostConfig cfg = currentConfig_();
  ModuleSettings s = cfg.settingsFor(module);
  if (!s.artifact.empty()) return s.artifact;
  return (fs::path(cfg.moduleDir) / (module + ".so")).string();
}

ModuleSlotPtr ModuleManager::slotFor(const std::string& module, bool create) {
  std::lock_guard lock(tableMutex_);
  if (auto s = table_.find(module)) return s;
  if (!create) return nullptr;
  auto slot = std::make_shared<ModuleSlot>(module);
  table_.add(slot);
  return slot;
}

GenerationPtr ModuleManager::build(ModuleSlot& slot, const std::string& artifact, const ModuleSettings& settings,
                                   const GenerationPtr& previous) {
  auto gen = std::make_shared<Generation>();
  gen->id = slot.nextGeneration++;
  gen->drainTimeoutMs = settings.drainTimeoutMs;
  gen->config = settings.config;
  for (const auto& [k, v] : gen->config) gen->configKeys.push_back(k);
  gen->host.gen = gen.get();
  gen->host.services = &services_;
  gen->module = slot.name;
  gen->version = "?";

  loader_.openImage(*gen, slot.name, artifact);  // throws LoadError
  // Statements of modules built against ABI 1.4 or later are checked (docs/data-ownership.md).
  gen->data.checked = gen->abiMajor == CS_ABI_MAJOR && gen->abiMinor >= 4;

  cs_buf err;
  cs_status rc = CS_E_MODULE;
  try {
    rc = gen->desc->create(hostApi(), &gen->host, &gen->inst, &err);
  } catch (...) {
    err.data = "exception escaped the module boundary";
  }
  gen->registrationOpen = false;
  if (rc != CS_OK || !gen->inst) {
    gen->inst = nullptr;  // nothing to destroy
    loader_.closeImage(*gen);
    throw LoadError("create failed: " + (err.data.empty() ? "status " + std::to_string(rc) : err.data));
  }

  auto abandon = [&](const std::string& why) {
    gen->desc->destroy(gen->inst);
    gen->inst = nullptr;
    loader_.closeImage(*gen);
    throw LoadError(why);
  };

  // Table ownership: checked, migrated and recorded under one lock, so that two loads
  // cannot both pass a check the other one's declarations would fail.
  std::unique_lock ownershipLock(ownershipMutex_);
  db::AccessCheck ownershipCheck;
  if (services_.ownership) {
    if (std::string why = services_.ownership->checkLoad(slot.name, gen->data); !why.empty())
      abandon("table ownership: " + why);
    if (!gen->data.checked)
      spdlog::warn("{} is built against ABI {}.{}: it declares no tables and its statements are not checked",
                   gen->logPrefix(), gen->abiMajor, gen->abiMinor);
    else
      ownershipCheck = [this, gen](const db::StatementAccess& access) {
        std::string denial = services_.ownership->denial(gen->module, gen->data, access);
        if (!denial.empty()) throw db::DbError(db::DbError::Kind::Denied, denial);
      };
  }

  bool allKnown = true;
  {
    std::lock_guard lock(migrationsMutex_);
    for (const auto& m : gen->migrations) allKnown = allKnown && appliedMigrations_.count({slot.name, m.version});
  }
  if (!allKnown) {
    try {
      auto report = db::applyMigrations(*services_.db, slot.name, gen->migrations, ownershipCheck);
      for (auto v : report.applied) spdlog::info("{} applied migration {}", gen->logPrefix(), v);
      std::lock_guard lock(migrationsMutex_);
      for (const auto& m : gen->migrations) appliedMigrations_.insert({slot.name, m.version});
    } catch (const std::exception& e) {
      abandon(std::string("migrations failed: ") + e.what());
    }
  }
  if (services_.ownership) {
    try {
      services_.ownership->activate(*services_.db, slot.name, gen->data);
    } catch (const std::exception& e) {
      abandon(std::string("recording its tables failed: ") + e.what());
    }
  }
  ownershipLock.unlock();
  // A load that fails from here on gives the ownership rules back to the generation that
  // keeps serving (or to nobody).
  auto restoreOwnership = [&] {
    if (!services_.ownership) return;
    try {
      if (previous) services_.ownership->activate(*services_.db, slot.name, previous->data);
      else services_.ownership->deactivate(slot.name);
    } catch (const std::exception& e) {
      spdlog::error("[{}] could not restore the table ownership of the serving generation: {}", slot.name, e.what());
    }
  };
  auto abandonOwned = [&](const std::string& why) {
    restoreOwnership();
    abandon(why);
  };

  // Warm start: a snapshot of the running generation (it keeps serving; the final export
  // after its drain is merged later), or the state parked by an earlier unload.
  if (gen->desc->import_state) {
    std::string blob;
    uint32_t schema = 0;
    bool have = false, final = false;
    if (previous && previous->desc && previous->desc->export_state) {
      cs_buf out, e;
      if (previous->desc->export_state(previous->inst, &out, &e) == CS_OK) {
        blob = std::move(out.data);
        schema = previous->stateSchema;
        have = true;
      } else {
        spdlog::warn("{} snapshot export failed: {}", previous->logPrefix(), e.data);
      }
    } else if (!previous && slot.hasParkedState) {
      blob = slot.parkedState;
      schema = slot.parkedSchema;
      have = final = true;
    }
    if (have) {
      cs_buf e;
      if (gen->desc->import_state(gen->inst, schema, cs_str{blob.data(), blob.size()}, final ? 1 : 0, &e) != CS_OK)
        abandonOwned("import_state failed: " + e.data);
      if (final) {
        slot.hasParkedState = false;
        slot.parkedState.clear();
      }
    }
  }

  // The module's cursor in the event log exists before start() reads any table, so an
  // event committed after that read is after the cursor too (docs/events.md).
  if (!gen->subscriptions.empty() && services_.events) {
    try {
      services_.events->prepareConsumer(slot.name);
    } catch (const std::exception& e) {
      abandonOwned(std::string("opening its event cursor failed: ") + e.what());
    }
  }
  if (gen->desc->start) {
    cs_buf e;
    if (gen->desc->start(gen->inst, &e) != CS_OK) abandonOwned("start failed: " + e.data);
  }
  return gen;
}

void ModuleManager::armTimers(const ModuleSlotPtr& slot, const GenerationPtr& gen) {
  std::weak_ptr<ModuleSlot> weakSlot = slot;
  std::weak_ptr<Generation> weakGen = gen;
  WorkerPool* workers = services_.workers;
  Metrics* metrics = services_.metrics;
  for (size_t i = 0; i < gen->timers.size(); ++i) {
    auto id = scheduler_.every(std::chrono::milliseconds(gen->timers[i].periodMs), [=] {
      workers->post([=] {
        auto s = weakSlot.lock();
        if (!s) return;
        GenerationPtr lease = s->current.load();
        if (!lease || lease != weakGen.lock()) return;  // disarmed or superseded
        const TimerReg& t = lease->timers[i];
        if (t.running->exchange(true)) return;  // previous run still busy: skip this tick
        cs_buf err;
        cs_status rc = CS_E_MODULE;
        try {
          rc = t.fn(t.ud, &err);
        } catch (...) {
          err.data = "exception escaped the module boundary";
        }
        t.running->store(false);
        if (rc != CS_OK) {
          metrics->counter("codestats_timer_failures_total", Metrics::label("module", lease->module))++;
          spdlog::warn("{} timer '{}' failed: {}", lease->logPrefix(), t.name, err.data);
        }
      });
    });
    gen->timerIds.push_back(id);
  }
}

void ModuleManager::disarmTimers(Generation& gen) {
  for (auto id : gen.timerIds) scheduler_.cancel(id);
  gen.timerIds.clear();
}

void ModuleManager::activate(ModuleSlot& slot, const GenerationPtr& gen) {
  GenerationPtr old = slot.current.load();
  if (old) {
    // Disarm before the swap, so the old generation takes no new timer leases.
    disarmTimers(*old);
    old->draining = true;
  }
  // Metric series per route and module version, resolved before the swap publishes the
  // routes, so the request path never looks a series up.
  for (auto& r : gen->routes)
    r.stats = services_.metrics->routeStats(slot.name, gen->version, r.method + " " + r.pattern.text());
  if (guard_) {
    try {
      guard_->activating(slot.name, gen->version, gen->artifactSha256, gen->runPath);
    } catch (const std::exception& e) {
      spdlog::error("{} crash guard could not record the activation: {}", gen->logPrefix(), e.what());
    }
  }
  gen->state = GenState::Active;
  slot.current.store(gen);
  armTimers(table_.find(slot.name), gen);
  if (!gen->subscriptions.empty() && services_.events) services_.events->startConsumer(slot.name);
  const std::string moduleLabel = Metrics::label("module", slot.name);
  services_.metrics->counter("codestats_module_activations_total", moduleLabel)++;
  // Exported from the first activation on, at 0 until they happen: an alert rule on them
  // must not wait for the first incident to see the series.
  services_.metrics->counter("codestats_module_drains_total", moduleLabel);
  services_.metrics->counter("codestats_module_zombies_total", moduleLabel);
  services_.metrics->counter("codestats_module_pinned_total", moduleLabel);
  spdlog::info("{} activated (abi {}.{}, artifact {}, sha256 {})", gen->logPrefix(), gen->abiMajor, gen->abiMinor,
               gen->artifact, gen->artifactSha256.substr(0, 12));
  if (old) {
    old->state = GenState::Draining;
    old->drainStarted = Clock::now();
    slot.draining = old;
    ++slot.reloads;
    if (currentConfig_().testUnsafeNoDrain) {
      // Negative control for the reload test: unload without waiting for leases.
      retire(slot, std::move(old));
      return;
    }
    reaperCv_.notify_all();
  }
}

void ModuleManager::retire(ModuleSlot& slot, GenerationPtr gen) {
  double drainMs = msSince(gen->drainStarted);
  cs_buf err;
  if (gen->desc->stop && gen->desc->stop(gen->inst, &err) != CS_OK)
    spdlog::warn("{} stop failed: {}", gen->logPrefix(), err.data);

  if (gen->desc->export_state) {
    cs_buf out, e;
    if (gen->desc->export_state(gen->inst, &out, &e) == CS_OK) {
      GenerationPtr next = slot.current.load();
      if (next && next->desc && next->desc->import_state) {
        cs_buf ie;
        if (next->desc->import_state(next->inst, gen->stateSchema, cs_str{out.data.data(), out.data.size()}, 1, &ie) !=
            CS_OK)
          spdlog::error("{} final import_state from #{} failed: {}", next->logPrefix(), gen->id, ie.data);
      } else if (!next) {
        slot.hasParkedState = true;
        slot.parkedSchema = gen->stateSchema;
        slot.parkedState = std::move(out.data);
      }
    } else {
      spdlog::warn("{} export_state failed: {}", gen->logPrefix(), e.data);
    }
  }

  gen->desc->destroy(gen->inst);
  gen->inst = nullptr;
  bool unmapped = loader_.closeImage(*gen);
  if (unmapped) {
    gen->state = GenState::Unloaded;
    spdlog::info("{} unloaded after a {:.1f} ms drain", gen->logPrefix(), drainMs);
  } else {
    gen->state = GenState::Pinned;
    slot.pinned.push_back(PinnedImage{gen->id, gen->version, gen->runPath});
    services_.metrics->counter("codestats_module_pinned_total", Metrics::label("module", slot.name))++;
    spdlog::error("{} is still mapped after dlclose (pinned): {}; memory leaks, behaviour is unaffected",
                  gen->logPrefix(), gen->runPath);
  }
  services_.metrics->counter("codestats_module_drains_total", Metrics::label("module", slot.name))++;
  slot.lastDrainMs = drainMs;
  if (drainMs > slot.maxDrainMs) slot.maxDrainMs = drainMs;
  if (slot.draining == gen) slot.draining.reset();
  slot.drained.notify_all();
}

void ModuleManager::reaperLoop() {
  lowerThreadPriority();
  std::unique_lock lock(reaperMutex_);
  while (!stopping_) {
    reaperCv_.wait_for(lock, std::chrono::milliseconds(2));
    lock.unlock();
    auto slots = table_.snapshot();
    for (const auto& slot : *slots) {
      std::lock_guard op(slot->opMutex);
      if (!slot->draining) continue;
      Generation& g = *slot->draining;
      if (slot->draining.use_count() == 1) {  // only the slot still refers to it: no leases
        retire(*slot, slot->draining);
        continue;
      }
      if (g.state == GenState::Draining && msSince(g.drainStarted) > static_cast<double>(g.drainTimeoutMs)) {
        g.state = GenState::Zombie;
        services_.metrics->counter("codestats_module_zombies_total", Metrics::label("module", slot->name))++;
        spdlog::error(
            "{} is a zombie: leases still held {} ms after the drain started; it stays mapped and is "
            "retired if they are ever released",
            g.logPrefix(), g.drainTimeoutMs);
        slot->drained.notify_all();
      }
    }
    lock.lock();
  }
}

void ModuleManager::waitDrained(ModuleSlot& slot, std::unique_lock<std::mutex>& lock) {
  slot.drained.wait(lock, [&] { return !slot.draining || slot.draining->state == GenState::Zombie; });
}

std::vector<ModuleManager::ExportedState> ModuleManager::exportStates() {
  std::vector<ExportedState> states;
  auto slots = table_.snapshot();
  for (const auto& slot : *slots) {
    std::unique_lock lock(slot->opMutex);
    GenerationPtr gen = slot->current.load();
    if (!gen || !gen->desc || !gen->desc->export_state) continue;
    cs_buf out, e;
    cs_status rc = CS_E_MODULE;
    try {
      rc = gen->desc->export_state(gen->inst, &out, &e);
    } catch (...) {
      e.data = "exception escaped the module boundary";
    }
    if (rc != CS_OK) {
      spdlog::warn("{} export_state for the new host failed (it starts cold): {}", gen->logPrefix(), e.data);
      continue;
    }
    states.push_back(ExportedState{slot->name, gen->stateSchema, std::move(out.data)});
  }
  return states;
}

void ModuleManager::parkState(const std::string& module, uint32_t schema, std::string blob) {
  auto slot = slotFor(module, true);
  std::unique_lock lock(slot->opMutex);
  slot->hasParkedState = true;
  slot->parkedSchema = schema;
  slot->parkedState = std::move(blob);
}

OperationResult ModuleManager::load(const std::string& module, const std::string& artifactArg) {
  if (!isValidModuleName(module)) return invalidName(module);
  HostConfig cfg = currentConfig_();
  auto slot = slotFor(module, true);
  std::unique_lock lock(slot->opMutex);
  if (slot->current.load()) return outcome(409, "conflict", "module '" + module + "' is already loaded", module);
  if (slot->draining) return outcome(409, "conflict", "module '" + module + "' is still draining", module);
  std::string artifact = artifactArg.empty() ? defaultArtifact(module) : artifactArg;
  try {
    auto gen = build(*slot, artifact, cfg.settingsFor(module), nullptr);
    activate(*slot, gen);
    return done("activated", module, gen->id, 0, gen->version);
  } catch (const std::exception& e) {
    slot->lastError = e.what();
    spdlog::error("[{}] load rejected: {}", module, e.what());
    return rejected(module, e.what());
  }
}

OperationResult ModuleManager::reload(const std::string& module, const std::string& artifactArg, bool wait) {
  if (!isValidModuleName(module)) return invalidName(module);
  HostConfig cfg = currentConfig_();
  auto slot = slotFor(module, false);
  if (!slot || !slot->current.load()) return outcome(404, "not_found", "module '" + module + "' is not loaded", module);
  std::unique_lock lock(slot->opMutex);
  GenerationPtr old = slot->current.load();
  if (!old) return outcome(404, "not_found", "module '" + module + "' is not loaded", module);
  if (slot->draining)
    return outcome(409, "conflict",
                   "generation #" + std::to_string(slot->draining->id) + " is still " +
                       toString(slot->draining->state.load()) + "; one draining generation at a time",
                   module);
  std::string artifact = artifactArg.empty() ? defaultArtifact(module) : artifactArg;
  GenerationPtr gen;
  try {
    gen = build(*slot, artifact, cfg.settingsFor(module), old);
  } catch (const std::exception& e) {
    slot->lastError = e.what();
    services_.metrics->counter("codestats_module_reload_rejections_total", Metrics::label("module", module))++;
    spdlog::error("[{}] reload rejected, {} keeps serving: {}", module, old->logPrefix(), e.what());
    return rejected(module, e.what());
  }
  uint64_t oldId = old->id;
  old.reset();  // our own reference must not count as a lease
  auto started = Clock::now();
  activate(*slot, gen);
  OperationResult r = done("activated", module, gen->id, oldId, gen->version);
  if (wait) {
    waitDrained(*slot, lock);
    r.drainMs = msSince(started);
  }
  return r;
}

OperationResult ModuleManager::unload(const std::string& module) {
  if (!isValidModuleName(module)) return invalidName(module);
  auto slot = slotFor(module, false);
  if (!slot) return outcome(404, "not_found", "module '" + module + "' is not loaded", module);
  std::unique_lock lock(slot->opMutex);
  GenerationPtr old = slot->current.load();
  if (!old) return outcome(404, "not_found", "module '" + module + "' is not loaded", module);
  if (slot->draining) return outcome(409, "conflict", "a generation is still draining", module);
  uint64_t oldId = old->id;
  disarmTimers(*old);
  old->draining = true;
  old->state = GenState::Draining;
  old->drainStarted = Clock::now();
  slot->current.store(nullptr);
  // Its cursor stays: a later load goes on from it (and an unloaded module's cursor stops
  // holding the log back after events.max_age_s).
  if (services_.events) services_.events->stopConsumer(module);
  if (services_.ownership) services_.ownership->deactivate(module);
  slot->draining = std::move(old);
  reaperCv_.notify_all();
  waitDrained(*slot, lock);
  spdlog::info("[{}] unloaded generation #{}", module, oldId);
  return done("unloaded", module, 0, oldId, "");
}

void ModuleManager::unloadAll() {
  auto slots = table_.snapshot();
  // Reverse load order, so later modules (which may call earlier ones) go first.
  for (auto it = slots->rbegin(); it != slots->rend(); ++it)
    if ((*it)->current.load()) unload((*it)->name);
}

std::vector<OperationResult> ModuleManager::reconcile(const HostConfig& cfg) {
  std::vector<OperationResult> results;
  for (const auto& name : cfg.modules) {
    auto slot = table_.find(name);
    GenerationPtr cur = slot ? slot->current.load() : nullptr;
    std::string artifact = defaultArtifact(name);
    if (!cur) {
      results.push_back(load(name, artifact));
      continue;
    }
    ModuleSettings s = cfg.settingsFor(name);
    bool changed = cur->artifact != std::filesystem::absolute(artifact).string() || cur->config != s.config;
    if (!changed) {
      try {
        changed = loader_.artifactSha256(artifact) != cur->artifactSha256;
      } catch (const std::exception& e) {
        results.push_back(rejected(name, e.what()));
        continue;
      }
    }
    cur.reset();
    if (changed) results.push_back(reload(name, artifact, false));
  }
  auto all = table_.snapshot();
  for (const auto& slot : *all) {
    bool listed = std::find(cfg.modules.begin(), cfg.modules.end(), slot->name) != cfg.modules.end();
    if (!listed && slot->current.load()) results.push_back(unload(slot->name));
  }
  return results;
}

std::string ModuleManager::describeJson(const std::string& only) const {
  Poco::JSON::Array modules;
  auto all = table_.snapshot();
  for (const auto& slot : *all) {
    if (!only.empty() && slot->name != only) continue;
    Poco::JSON::Object m(Poco::JSON_PRESERVE_KEY_ORDER);
    m.set("name", slot->name);
    GenerationPtr cur = slot->current.load();
    if (cur) {
      m.set("version", cur->version);
      m.set("build_id", cur->buildId);
      m.set("abi", std::to_string(cur->abiMajor) + "." + std::to_string(cur->abiMinor));
      m.set("generation", cur->id);
      m.set("state", toString(cur->state.load()));
      m.set("artifact", cur->artifact);
      m.set("artifact_sha256", cur->artifactSha256);
      m.set("loaded_at_ms", cur->loadedAtMs);
      // holders besides leases: the slot and our `cur`
      m.set("in_flight", std::max<long>(0, cur.use_count() - 2));
      Poco::JSON::Array routes, commands, services;
      for (const auto& r : cur->routes) routes.add(r.method + " " + r.pattern.text());
      for (const auto& c : cur->commands) commands.add(c.name);
      for (const auto& s : cur->services) services.add(s.name + "@" + std::to_string(s.major));
      m.set("routes", routes);
      m.set("commands", commands);
      m.set("services", services);
    } else {
      m.set("state", "unloaded");
    }
    std::lock_guard lock(slot->opMutex);
    Poco::JSON::Array draining, zombies, pinned;
    if (slot->draining) {
      Poco::JSON::Object d(Poco::JSON_PRESERVE_KEY_ORDER);
      d.set("generation", slot->draining->id);
      d.set("version", slot->draining->version);
      d.set("in_flight", std::max<long>(0, slot->draining.use_count() - 1));
      d.set("draining_ms", msSince(slot->draining->drainStarted));
      (slot->draining->state == GenState::Zombie ? zombies : draining).add(d);
    }
    for (const auto& p : slot->pinned) {
      Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
      o.set("generation", p.generation);
      o.set("version", p.version);
      o.set("path", p.path);
      pinned.add(o);
    }
    m.set("draining", draining);
    m.set("zombies", zombies);
    m.set("pinned", pinned);
    if (services_.events) {
      if (auto st = services_.events->status(slot->name)) {
        Poco::JSON::Object ev(Poco::JSON_PRESERVE_KEY_ORDER);
        ev.set("cursor", st->cursor);
        ev.set("delivered", st->delivered);
        ev.set("lag_events", st->lagEvents);
        ev.set("lag_seconds", st->lagSeconds);
        m.set("events", ev);
      }
    }
    m.set("reloads", slot->reloads);
    m.set("last_drain_ms", slot->lastDrainMs);
    m.set("max_drain_ms", slot->maxDrainMs);
    m.set("last_error", slot->lastError);
    modules.add(m);
  }
  Poco::JSON::Object root;
  root.set("modules", modules);
  std::ostringstream out;
  root.stringify(out);
  return out.str();
}

}  // namespace codestats::host
