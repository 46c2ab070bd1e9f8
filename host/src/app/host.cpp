#include "app/host.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "abi/host_services.hpp"
#include "admin/admin_exposure.hpp"
#include "admin/admin_server.hpp"
#include "db/database.hpp"
#include "db/table_ownership.hpp"
#include "events/event_bus.hpp"
#include "http/public_server.hpp"
#include "http/readiness.hpp"
#include "runtime/crash_loop_guard.hpp"
#include "runtime/module_loader.hpp"
#include "runtime/module_manager.hpp"
#include "runtime/module_table.hpp"
#include "services/kv_store.hpp"
#include "services/metrics.hpp"
#include "services/runtime_gauges.hpp"
#include "services/scheduler.hpp"
#include "services/worker_pool.hpp"
#include "util/random.hpp"
#include "util/json_log_formatter.hpp"
#include "util/secret_file.hpp"
#include "ws/channel_hub.hpp"
#include "ws/origin_policy.hpp"

namespace codestats::host {

namespace fs = std::filesystem;

std::string defaultModuleDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path base = ec ? fs::current_path() : exe.parent_path();
  fs::path installed = base / ".." / "lib" / "codestatsd" / "modules";
  if (fs::is_directory(installed, ec)) return fs::weakly_canonical(installed).string();
  return fs::weakly_canonical(base / ".." / "modules").string();
}

namespace {

void writeFileAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
  }
  fs::rename(tmp, path);
}

db::DbConfig dbConfigFrom(const HostConfig& c) {
  db::DbConfig d;
  d.backend = c.dbBackend == "postgres" ? db::Backend::Postgres : db::Backend::Sqlite;
  d.sqlitePath = c.dbSqlitePath.empty() ? (fs::path(c.varDir) / "codestats.db").string() : c.dbSqlitePath;
  d.sqliteSynchronous = c.dbSqliteSynchronous;
  d.sqliteCheckpointFrames = c.dbSqliteCheckpointFrames;
  d.postgresConninfo = c.dbPostgresConninfo;
  d.poolSize = c.dbPoolSize;
  d.acquireTimeout = std::chrono::milliseconds(c.dbAcquireTimeoutMs);
  return d;
}

events::EventBusSettings eventBusSettings(const HostConfig& c, const std::string& varDir) {
  events::EventBusSettings s;
  s.hostId = c.eventsHostId;
  if (s.hostId.empty()) {
    // Distinct for every host sharing a database: hosts on one machine cannot share a var dir.
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    s.hostId = std::string(name) + ":" + varDir;
  }
  s.pollInterval = std::chrono::milliseconds(c.eventsPollMs);
  s.maxAgeMs = c.eventsMaxAgeS * 1000;
  s.lagWarnMs = c.eventsLagWarnS * 1000;
  if (c.dbBackend == "postgres") s.postgresConninfo = c.dbPostgresConninfo;
  return s;
}

void setupLogging(const HostConfig& c) {
  if (c.logFormat == "json") spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
  else spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(c.logLevel));
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace

Host::Host(ConfigSources sources) : sources_(std::move(sources)), config_(loadConfig(sources_)) {
  if (config_.moduleDir.empty()) config_.moduleDir = defaultModuleDir();
}

HostConfig Host::config() const {
  std::lock_guard lock(configMutex_);
  return config_;
}

int Host::run() {
  const double startedAt = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  HostConfig cfg = config();
  setupLogging(cfg);
  fs::create_directories(cfg.varDir);
  std::string varDir = fs::weakly_canonical(cfg.varDir).string();

  std::string adminToken = cfg.adminToken, adminTokenSource = "admin.token";
  if (adminToken.empty()) {
    adminTokenSource = cfg.adminTokenFile.empty() ? (fs::path(varDir) / "admin.token").string() : cfg.adminTokenFile;
    adminToken = readOrCreateSecret(adminTokenSource, [] { return randomBase64Url(32); });  // 43 characters
  }
  if (std::string problem = adminExposureProblem(cfg, adminToken, adminTokenSource); !problem.empty())
    throw ConfigError("config: " + problem);
  std::string secretKeyBase = cfg.secretKeyBase;
  if (secretKeyBase.empty())
    secretKeyBase =
        readOrCreateSecret((fs::path(varDir) / "secret_key_base").string(), [] { return randomBase64Url(48); });

  std::unique_ptr<db::Pool> pool = db::Pool::open(dbConfigFrom(cfg));
  spdlog::info("[host] database {}", pool->describe());
  db::TableOwnership ownership;
  ownership.open(*pool);

  // Declaration order is destruction order in reverse: the manager (which drains and
  // unloads modules) goes before the services modules use.
  Metrics metrics;
  KvStore kv;
  WorkerPool workers(static_cast<size_t>(cfg.workers));
  WorkerPool batchWorkers(static_cast<size_t>(cfg.httpBatchThreads), "batch");
  Scheduler scheduler;
  ModuleTable table;
  HubLimits hubLimits;
  hubLimits.maxMessageBytes = static_cast<size_t>(cfg.wsMaxMessageBytes);
  hubLimits.maxQueuedBytes = static_cast<size_t>(cfg.wsMaxQueuedBytes);
  hubLimits.idleTimeoutMs = cfg.wsIdleTimeoutMs;
  hubLimits.ioThreads = cfg.wsIoThreads;
  hubLimits.sendBufferBytes = static_cast<int>(cfg.wsSendBufferBytes);
  ChannelHub hub(hubLimits, table, workers, metrics);
  events::EventBus bus(*pool, metrics, eventBusSettings(cfg, varDir),
                       [&table, &metrics](const std::string& module, const events::LoggedEvent& e) {
                         table.deliver(module, e.seq, e.topic, e.payload, metrics);
                       });
  bus.open();
  spdlog::info("[host] event log open; this host's cursors are '{}/<module>'", bus.hostId());
  hub.setOriginPolicy(OriginPolicy::fromConfig(cfg));
  HostServices services;
  services.db = pool.get();
  services.ownership = &ownership;
  services.kv = &kv;
  services.metrics = &metrics;
  services.workers = &workers;
  services.batchWorkers = &batchWorkers;
  services.modules = &table;
  services.hub = &hub;
  services.events = &bus;
  services.secretKeyBase = secretKeyBase;
  services.varDir = varDir;
  services.instanceId = randomHex(8);

  ModuleLoader loader((fs::path(varDir) / "run").string(), cfg.loaderStrictDependencies);
  loader.cleanRunDir();
  CrashLoopGuard guard((fs::path(varDir) / "state").string(), std::chrono::milliseconds(cfg.crashGuardWindowMs));
  auto manager = std::make_unique<ModuleManager>(
      services, table, scheduler, loader, [this] { return config(); }, &guard);

  for (const auto& name : cfg.modules) {
    std::string artifact;
    if (guard.enabled()) {
      std::string configured = manager->defaultArtifact(name), sha;
      try {
        sha = loader.artifactSha256(configured);
      } catch (const std::exception&) {
        // unreadable: the load below reports it
      }
      auto choice = guard.startupChoice(name, sha);
      if (!choice.reason.empty()) {
        metrics.counter("codestats_crash_guard_restarts_total", Metrics::label("module", name))++;
        spdlog::critical("[host] crash guard: {}", choice.reason);
      }
      if (!choice.artifact.empty()) {
        metrics.counter("codestats_crash_guard_fallbacks_total", Metrics::label("module", name))++;
        artifact = choice.artifact;
      }
    }
    auto r = manager->load(name, artifact);
    if (r.httpStatus != 200) {
      spdlog::critical("[host] cannot load module '{}': {}", name, r.message);
      return 1;
    }
  }

  auto reconcile = [&]() -> std::string {
    Poco::JSON::Array results;
    try {
      HostConfig next = loadConfig(sources_);
      if (next.moduleDir.empty()) next.moduleDir = defaultModuleDir();
      auto origins = OriginPolicy::fromConfig(next);  // modules.web.base_url may have changed
      {
        std::lock_guard lock(configMutex_);
        config_ = next;
      }
      hub.setOriginPolicy(std::move(origins));
      spdlog::info("[host] reconciling modules with the configuration");
      for (const auto& r : manager->reconcile(next)) {
        Poco::JSON::Object o;
        o.set("module", r.module);
        o.set("outcome", r.outcome);
        if (!r.message.empty()) o.set("message", r.message);
        results.add(o);
        spdlog::info("[host] reconcile {}: {} {}", r.module, r.outcome, r.message);
      }
    } catch (const std::exception& e) {
      spdlog::error("[host] reconcile failed, nothing changed: {}", e.what());
      Poco::JSON::Object o;
      o.set("error", e.what());
      std::ostringstream s;
      o.stringify(s);
      return s.str();
    }
    Poco::JSON::Object root;
    root.set("results", results);
    std::ostringstream s;
    root.stringify(s);
    return s.str();
  };

  auto promoteTimer = scheduler.every(std::chrono::milliseconds(250), [&guard] { guard.promoteDue(); });

  Readiness readiness(
      *pool, [this] { return config().modules; },
      [&table](const std::string& name) {
        auto slot = table.find(name);
        return slot && slot->current.load() != nullptr;
      });
  PublicServer publicServer(
      cfg, table, metrics,
      [&hub](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, const std::string& query,
             const std::string& remoteAddr) { hub.accept(req, resp, query, remoteAddr); },
      &readiness);
  AdminServer adminServer(cfg, AdminContext{*manager, table, metrics, adminToken, reconcile,
                                            [&] { return renderRuntimeGauges(table, hub, kv, *pool, startedAt); }});
  publicServer.start();
  adminServer.start();

  std::string portsFile = (fs::path(varDir) / "codestatsd.ports").string();
  writeFileAtomically(portsFile, "{\"http\":" + std::to_string(publicServer.port()) +
                                     ",\"admin\":" + std::to_string(adminServer.port()) +
                                     ",\"pid\":" + std::to_string(::getpid()) + "}\n");
  spdlog::info("[host] codestatsd serving http://{}:{} (admin on {}:{}), {} module(s)", cfg.httpHost,
               publicServer.port(), cfg.adminHost, adminServer.port(), cfg.modules.size());

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      reconcile();
      continue;
    }
    spdlog::info("[host] signal {} received, shutting down", sig);
    break;
  }

  publicServer.stop();
  adminServer.stop();
  hub.shutdown();  // stops socket I/O; queued channel callbacks still find the hub
  scheduler.cancel(promoteTimer);
  batchWorkers.shutdown();  // the servers stopped: runs the batches still queued
  manager.reset();          // drains and unloads every module (their event consumers stop first)
  bus.close();
  guard.cleanShutdown();
  workers.shutdown();
  scheduler.shutdown();
  std::error_code ec;
  fs::remove(portsFile, ec);
  spdlog::info("[host] stopped");
  return 0;
}

}  // namespace codestats::host
