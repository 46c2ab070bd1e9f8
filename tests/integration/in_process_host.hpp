// A host's services built inside the test process, wired as app/host.cpp wires them (the
// database on one backend, the event log, the worker pools, the modules, the public HTTP
// server with the live-update socket), so that a test reaches the ChannelHub directly: two
// of them stand for the old and the new host of a handover (issue #19).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

#include "abi/host_services.hpp"
#include "config/config.hpp"
#include "db/database.hpp"
#include "db/table_ownership.hpp"
#include "events/event_bus.hpp"
#include "host_process.hpp"
#include "http/public_server.hpp"
#include "runtime/module_loader.hpp"
#include "runtime/module_manager.hpp"
#include "runtime/module_table.hpp"
#include "services/kv_store.hpp"
#include "services/metrics.hpp"
#include "services/scheduler.hpp"
#include "services/worker_pool.hpp"
#include "ws/channel_hub.hpp"

namespace codestats::test {

class InProcessHost {
 public:
  // backend: "sqlite" or "postgres" (a fresh schema on PGTEST_URI); sets: "key=value" as
  // codestatsd's --set takes them (modules=..., ws.*).
  InProcessHost(const std::string& backend, const std::vector<std::string>& sets) {
    namespace h = codestats::host;
    spdlog::set_level(spdlog::level::warn);  // module loads and unloads, twice per test
    if (backend == "postgres") schema_ = std::make_unique<PgSchema>();
    h::ConfigSources sources;
    sources.sets = {"var_dir=" + var_.path(), "http.port=0", "admin.port=0", "module_dir=" + modulesDir()};
    if (schema_) {
      sources.sets.push_back("db.backend=postgres");
      sources.sets.push_back("db.postgres.conninfo=" + schema_->conninfo());
    }
    sources.sets.insert(sources.sets.end(), sets.begin(), sets.end());
    config_ = h::loadConfig(sources);

    h::db::DbConfig d;
    d.backend = schema_ ? h::db::Backend::Postgres : h::db::Backend::Sqlite;
    d.sqlitePath = var_.path() + "/codestats.db";
    d.postgresConninfo = config_.dbPostgresConninfo;
    d.poolSize = 4;
    pool_ = h::db::Pool::open(d);
    ownership_.open(*pool_);

    h::HubLimits limits;
    limits.maxMessageBytes = static_cast<size_t>(config_.wsMaxMessageBytes);
    limits.maxQueuedBytes = static_cast<size_t>(config_.wsMaxQueuedBytes);
    limits.idleTimeoutMs = config_.wsIdleTimeoutMs;
    limits.ioThreads = config_.wsIoThreads;
    limits.sendBufferBytes = static_cast<int>(config_.wsSendBufferBytes);
    hub_ = std::make_unique<h::ChannelHub>(limits, table_, workers_, metrics_);
    h::events::EventBusSettings events;
    events.hostId = "in-process:" + var_.path();
    events.pollInterval = std::chrono::milliseconds(100);
    if (schema_) events.postgresConninfo = config_.dbPostgresConninfo;
    bus_ = std::make_unique<h::events::EventBus>(*pool_, metrics_, events,
                                                 [this](const std::string& module, const h::events::LoggedEvent& e) {
                                                   table_.deliver(module, e.seq, e.topic, e.payload, metrics_);
                                                 });
    bus_->open();

    services_.db = pool_.get();
    services_.ownership = &ownership_;
    services_.kv = &kv_;
    services_.metrics = &metrics_;
    services_.workers = &workers_;
    services_.batchWorkers = &batchWorkers_;
    services_.modules = &table_;
    services_.hub = hub_.get();
    services_.events = bus_.get();
    services_.secretKeyBase = "in-process test secret key base, not a real one";
    services_.varDir = var_.path();
    services_.instanceId = "test";
    loader_ = std::make_unique<h::ModuleLoader>(var_.path() + "/run", false);
    loader_->cleanRunDir();
    manager_ = std::make_unique<h::ModuleManager>(services_, table_, scheduler_, *loader_, [this] { return config_; });
    for (const auto& name : config_.modules) {
      auto r = manager_->load(name, "");
      if (r.httpStatus != 200) throw std::runtime_error("cannot load module '" + name + "': " + r.message);
    }
    server_ = std::make_unique<h::PublicServer>(
        config_, table_, metrics_,
        [this](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, const std::string& query,
               const std::string& remoteAddr) { hub_->accept(req, resp, query, remoteAddr); });
    server_->start();
  }

  ~InProcessHost() {  // the order of app/host.cpp's shutdown
    server_->stop();
    hub_->shutdown();
    batchWorkers_.shutdown();
    manager_.reset();
    bus_->close();
    workers_.shutdown();
    scheduler_.shutdown();
  }
  InProcessHost(const InProcessHost&) = delete;
  InProcessHost& operator=(const InProcessHost&) = delete;

  codestats::host::ChannelHub& hub() { return *hub_; }
  codestats::host::KvStore& kv() { return kv_; }
  int httpPort() const { return server_->port(); }
  std::string metrics() const { return metrics_.renderPrometheus(); }

  // A module's admin command (codestatsctl run MODULE.COMMAND ARGS...); throws on failure.
  std::string run(const std::string& command, const std::vector<std::string>& args) {
    std::string out, err;
    if (table_.runCommand(command, args, out, err) != CS_OK) throw std::runtime_error(command + ": " + err);
    out.erase(out.find_last_not_of("\n ") + 1);
    return out;
  }

 private:
  TempDir var_;
  std::unique_ptr<PgSchema> schema_;
  codestats::host::HostConfig config_;
  std::unique_ptr<codestats::host::db::Pool> pool_;
  codestats::host::db::TableOwnership ownership_;
  codestats::host::Metrics metrics_;
  codestats::host::KvStore kv_;
  codestats::host::WorkerPool workers_{4};
  codestats::host::WorkerPool batchWorkers_{1, "batch"};
  codestats::host::Scheduler scheduler_;
  codestats::host::ModuleTable table_;
  std::unique_ptr<codestats::host::ChannelHub> hub_;
  std::unique_ptr<codestats::host::events::EventBus> bus_;
  codestats::host::HostServices services_;
  std::unique_ptr<codestats::host::ModuleLoader> loader_;
  std::unique_ptr<codestats::host::ModuleManager> manager_;
  std::unique_ptr<codestats::host::PublicServer> server_;
};

}  // namespace codestats::test
