// What the C function table reaches through a cs_host: the host's services, passed by
// reference (no globals), so the ABI shims stay thin and testable.
#pragma once

#include <string>

namespace codestats::host {

namespace db {
class Pool;
class TableOwnership;
}  // namespace db
class KvStore;
class Metrics;
class WorkerPool;
class ModuleTable;
class ChannelHub;
namespace events {
class EventBus;
}

struct HostServices {
  db::Pool* db = nullptr;
  db::TableOwnership* ownership = nullptr;  // who may touch which table (db/table_ownership.hpp)
  KvStore* kv = nullptr;
  Metrics* metrics = nullptr;
  WorkerPool* workers = nullptr;
  WorkerPool* batchWorkers = nullptr;  // runs batch routes' calls (http/BatchQueue)
  ModuleTable* modules = nullptr;
  ChannelHub* hub = nullptr;
  events::EventBus* events = nullptr;  // the event log (events/event_bus.hpp)
  // read-only host facts exposed through config_get("host.*")
  std::string secretKeyBase;
  std::string varDir;
  std::string instanceId;
};

}  // namespace codestats::host
