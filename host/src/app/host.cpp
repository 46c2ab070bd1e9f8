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
#include "http/connection_handover.hpp"
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
#include "util/systemd_notify.hpp"
#include "upgrade/host_upgrade.hpp"
#include "upgrade/predecessor_link.hpp"
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

// run/<pid> directories of hosts that are gone; `keep` names the predecessor's, which runs.
void removeStaleRunDirs(const fs::path& runRoot, const std::string& keep) {
  std::error_code ec;
  if (keep.empty()) {
    fs::remove_all(runRoot, ec);
    return;
  }
  for (const auto& entry : fs::directory_iterator(runRoot, ec))
    if (entry.path().filename() != keep) fs::remove_all(entry.path(), ec);
}

}  // namespace

Host::Host(ConfigSources sources, HostLaunch launch)
    : sources_(std::move(sources)), launch_(std::move(launch)), config_(loadConfig(sources_)) {
  if (config_.moduleDir.empty()) config_.moduleDir = defaultModuleDir();
}

Host::~Host() = default;

HostConfig Host::config() const {
  std::lock_guard lock(configMutex_);
  return config_;
}

int Host::run() {
  if (launch_.handoverFd >= 0)
    predecessor_ = std::make_unique<upgrade::PredecessorLink>(launch_.handoverFd,
                                                              std::chrono::milliseconds(config().upgradeTimeoutMs));
  try {
    return serve();
  } catch (const std::exception& e) {
    if (predecessor_) predecessor_->fail(e.what());  // the running host keeps serving
    throw;
  }
}

int Host::serve() {
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
  if (predecessor_) bus.holdConsumers();  // until the WebSockets moved (upgrade/host_upgrade.hpp)
  bus.open();
  spdlog::info("[host] event log open; this host's cursors are '{}/<module>'", bus.hostId());
  // Taking over from a running host: its listening sockets and its modules' state (its
  // event consumers stop now, at the cursors this host's consumers will start from).
  upgrade::PredecessorLink::Start inherited;
  if (predecessor_) {
    inherited = predecessor_->begin();
    spdlog::info("[host] taking over from pid {}: {} module state(s) received", ::getppid(), inherited.states.size());
  }
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

  // Module copies live in run/<pid>/: a host and its successor run at once during an
  // upgrade, each with its own copies (the old one's are removed when it exits).
  const fs::path runRoot = fs::path(varDir) / "run";
  const fs::path runDir = runRoot / std::to_string(::getpid());
  removeStaleRunDirs(runRoot, predecessor_ ? std::to_string(::getppid()) : std::string());
  ModuleLoader loader(runDir.string(), cfg.loaderStrictDependencies);
  loader.cleanRunDir();
  CrashLoopGuard guard((fs::path(varDir) / "state").string(), std::chrono::milliseconds(cfg.crashGuardWindowMs));
  auto manager = std::make_unique<ModuleManager>(
      services, table, scheduler, loader, [this] { return config(); }, &guard);

  for (auto& state : inherited.states) manager->parkState(state.module, state.schema, std::move(state.blob));
  for (const auto& name : cfg.modules) {
    std::string artifact;
    // Taking over from a live host: nothing crashed, its pending activations are not suspect.
    if (guard.enabled() && !predecessor_) {
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
      if (predecessor_) predecessor_->fail("cannot load module '" + name + "': " + r.message);
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
      &readiness, inherited.httpFd);
  upgrade::HostUpgrade* upgrader = nullptr;  // set below; the admin API's upgrade uses it
  AdminContext adminContext{*manager,  table,
                            metrics,   adminToken,
                            reconcile, [&] { return renderRuntimeGauges(table, hub, kv, *pool, startedAt); },
                            {}};
  AdminServer* adminServerPtr = nullptr;
  adminContext.upgrade = [&](const std::string& binary) {
    AdminContext::UpgradeReply reply;
    if (!upgrader) {
      reply.status = 409;
      reply.json = R"({"error":"this host is still starting"})";
      return reply;
    }
    auto outcome = upgrader->run(binary);
    reply.status = outcome.httpStatus;
    reply.json = outcome.toJson();
    if (upgrader->handedOver() && outcome.httpStatus == 200)
      reply.then = [&] {
        adminServerPtr->stopAccepting();
        ::kill(::getpid(), SIGTERM);  // Host::run's signal loop: drain and exit
      };
    return reply;
  };
  AdminServer adminServer(cfg, std::move(adminContext), inherited.adminFd);
  adminServerPtr = &adminServer;
  publicServer.start();
  adminServer.start();

  upgrade::UpgradeHooks hooks;
  hooks.listeners = {publicServer.listenFd(), adminServer.listenFd()};
  hooks.pauseEvents = [&bus] {
    bus.holdConsumers();  // a module reloaded meanwhile does not start one either
    return bus.pauseConsumers();
  };
  hooks.resumeEvents = [&bus](const std::vector<std::string>& modules) {
    bus.releaseConsumers();
    bus.resumeConsumers(modules);
  };
  hooks.exportStates = [&manager] {
    std::vector<upgrade::ModuleState> states;
    for (auto& s : manager->exportStates()) states.push_back({s.module, s.schema, std::move(s.blob)});
    return states;
  };
  hooks.pauseAccepting = [&publicServer] { publicServer.pauseAccepting(); };
  hooks.resumeAccepting = [&publicServer] { publicServer.resumeAccepting(); };
  hooks.detachSockets = [&hub] {
    std::vector<upgrade::MovedSocket> moved;
    for (auto& d : hub.detachAll(std::chrono::milliseconds(2000))) moved.push_back({d.fd, std::move(d.state)});
    return moved;
  };
  upgrade::HostUpgrade hostUpgrade(launch_.args, launch_.binary, std::chrono::milliseconds(cfg.upgradeTimeoutMs),
                                   std::move(hooks));

  if (predecessor_) {
    // Serving; the old host stops accepting and sends its WebSockets, then this host's
    // event consumers start where the old one's stopped.
    size_t adopted = 0;
    std::vector<upgrade::MovedSocket> sockets;
    try {
      sockets = predecessor_->ready();
    } catch (const std::exception& e) {
      spdlog::error("[host] the previous host's WebSockets did not arrive: {}", e.what());
    }
    for (auto& s : sockets) adopted += hub.adopt(s.fd, s.state) ? 1 : 0;
    bus.releaseConsumers();
    spdlog::info("[host] took over from pid {}: {} of {} WebSocket(s) adopted", ::getppid(), adopted, sockets.size());
  }

  std::string portsFile = (fs::path(varDir) / "codestatsd.ports").string();
  writeFileAtomically(portsFile, "{\"http\":" + std::to_string(publicServer.port()) +
                                     ",\"admin\":" + std::to_string(adminServer.port()) +
                                     ",\"pid\":" + std::to_string(::getpid()) + "}\n");
  spdlog::info("[host] codestatsd serving http://{}:{} (admin on {}:{}), {} module(s)", cfg.httpHost,
               publicServer.port(), cfg.adminHost, adminServer.port(), cfg.modules.size());
  // The previous host while it drains (declared after publicServer: the link's thread that
  // adopts its keep-alive connections ends first).
  std::unique_ptr<upgrade::PredecessorLink> drainingPredecessor;
  if (predecessor_) {
    // The unit's main process is this one from now on (NotifyAccess=all in deploy/).
    notifySystemd("MAINPID=" + std::to_string(::getpid()) + "\nREADY=1");
    try {
      predecessor_->done();
      predecessor_->receiveConnections([&publicServer](upgrade::MovedSocket s) {
        auto state = decodeIdleConnectionState(s.state);
        if (!state) {  // not a state this host reads: closed, as the old host's drain would
          ::close(s.fd);
          return;
        }
        publicServer.adopt({s.fd, std::move(*state)});
      });
    } catch (const std::exception& e) {
      spdlog::warn("[host] the previous host is gone before it heard that this one took over: {}", e.what());
    }
    drainingPredecessor = std::move(predecessor_);
  } else {
    notifySystemd("READY=1");
  }
  upgrader = &hostUpgrade;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR2);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      reconcile();
      continue;
    }
    if (sig == SIGUSR2) {  // systemctl reload (deploy/codestatsd.service)
      if (hostUpgrade.handedOver()) continue;
      spdlog::info("[host] SIGUSR2: upgrading to {}", launch_.binary);
      hostUpgrade.run("");                      // its outcome is logged
      if (!hostUpgrade.handedOver()) continue;  // failed: logged, this host keeps serving
      adminServer.stopAccepting();
      break;
    }
    if (hostUpgrade.handedOver()) spdlog::info("[host] handed over to the new host; draining and exiting");
    else spdlog::info("[host] signal {} received, shutting down", sig);
    break;
  }
  hostUpgrade.cancelAndWait();  // a SIGTERM during an upgrade (POST /admin/upgrade) ends it first
  const bool handedOver = hostUpgrade.handedOver();
  if (!handedOver) notifySystemd("STOPPING=1");

  drainingPredecessor.reset();  // stops adopting a predecessor's connections (its drain is normally long over)
  // After a hand-over, idle keep-alive connections go to the new host as the drain finds
  // them, instead of being closed when it ends (a client reusing one then got no answer).
  if (hostUpgrade.successorTakesConnections())
    publicServer.handIdleConnectionsTo([&hostUpgrade](const std::vector<EventServer::IdleConnection>& conns) {
      std::vector<upgrade::MovedSocket> moved;
      moved.reserve(conns.size());
      for (const auto& c : conns) moved.push_back({c.fd, encodeIdleConnectionState(c.state)});
      return hostUpgrade.sendConnections(moved);
    });
  publicServer.stop();
  hostUpgrade.endConnections();
  adminServer.stop();
  hub.shutdown();  // stops socket I/O; queued channel callbacks still find the hub
  scheduler.cancel(promoteTimer);
  batchWorkers.shutdown();  // the servers stopped: runs the batches still queued
  manager.reset();          // drains and unloads every module (their event consumers stop first)
  bus.close();
  // After a hand-over the new host owns the crash guard's records and the ports file.
  if (!handedOver) guard.cleanShutdown();
  workers.shutdown();
  scheduler.shutdown();
  std::error_code ec;
  if (!handedOver) fs::remove(portsFile, ec);
  fs::remove_all(runDir, ec);
  spdlog::info("[host] stopped");
  return 0;
}

}  // namespace codestats::host
