// The read side of the module runtime: which modules exist, and the lookups every
// host->module call starts with (route, event delivery, service call, admin command).
// Each lookup takes a lease on the slot's current generation and keeps it for the call.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/route_lookup.hpp"
#include "runtime/module_slot.hpp"
#include "util/log_limiter.hpp"

namespace codestats::host {

class Metrics;

struct CommandInfo {
  std::string name, help, module;
};

class ModuleTable : public RouteLookup {
 public:
  using Slots = std::vector<ModuleSlotPtr>;
  static constexpr size_t kMaxModules = 64;

  // Slots are append-only and never removed (an unloaded module keeps its slot), so
  // readers walk them without locks or reference counting: the hot path only pays for
  // the lease on the generation it calls.
  std::shared_ptr<const Slots> snapshot() const;
  ModuleSlotPtr find(std::string_view name) const;
  void add(ModuleSlotPtr slot);  // writers are serialised by the manager; throws when full

  RouteResult route(std::string_view method, const PathSegments& path, RouteMatch& out,
                    std::string& allow) const override;

  // Hands an event of the log to the module's current generation (every subscription that
  // matches, in registration order); failures are counted and logged, rate limited. Nothing
  // happens when the module is not loaded.
  void deliver(const std::string& module, uint64_t seq, std::string_view topic, std::string_view payload,
               Metrics& metrics) const;

  cs_status callService(std::string_view name, uint32_t major, std::string_view method, std::string_view request,
                        cs_buf* out, cs_buf* err) const;

  cs_status runCommand(std::string_view name, const std::vector<std::string>& args, std::string& out,
                       std::string& err) const;
  std::vector<CommandInfo> commands() const;

 private:
  size_t count() const { return count_.load(std::memory_order_acquire); }
  std::array<ModuleSlotPtr, kMaxModules> slots_{};
  mutable LogLimiter eventFailures_{std::chrono::seconds(10)};
  std::atomic<size_t> count_{0};
};

}  // namespace codestats::host
