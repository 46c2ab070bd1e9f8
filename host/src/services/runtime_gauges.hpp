// Gauges computed when /metrics is read: module generations (active version, draining,
// zombie, pinned images), live-update sockets, the host key-value store that holds the
// cache module's aggregates, the process start time, and (SQLite) the WAL's syncs and
// checkpoints, which the database layer counts itself.
#pragma once

#include <string>

namespace codestats::host {

class ModuleTable;
class ChannelHub;
class KvStore;
namespace db {
class Pool;
}

std::string renderRuntimeGauges(const ModuleTable& table, const ChannelHub& hub, const KvStore& kv,
                                const db::Pool& pool, double processStartSeconds);

}  // namespace codestats::host
