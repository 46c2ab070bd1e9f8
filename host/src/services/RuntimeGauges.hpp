// Gauges computed when /metrics is read: module generations (active version, draining,
// zombie, pinned images), live-update sockets, the host key-value store that holds the
// cache module's aggregates, and the process start time.
#pragma once

#include <string>

namespace codestatsd {

class ModuleTable;
class ChannelHub;
class KvStore;

std::string renderRuntimeGauges(const ModuleTable& table, const ChannelHub& hub, const KvStore& kv,
                                double processStartSeconds);

}  // namespace codestatsd
