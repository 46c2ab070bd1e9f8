// One loaded copy of a module: its image, instance and everything it registered.
//
// A Generation is only reachable through shared_ptr. Every host->module call holds one
// (a "lease"); the loader unloads a generation only after its slot stopped pointing at it
// and the last lease is gone. Registrations are staged during create() and go live when
// the generation is activated.
#pragma once

#include <codestats/module_abi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "db/table_ownership.hpp"
#include "http/route_lookup.hpp"
#include "services/metrics.hpp"

namespace codestats::host {

class Generation;
struct HostServices;

}  // namespace codestats::host

// The opaque per-generation host context handed to the module.
struct cs_host {
  codestats::host::Generation* gen = nullptr;
  codestats::host::HostServices* services = nullptr;
};

namespace codestats::host {

enum class GenState { Loading, Active, Draining, Zombie, Unloaded, Pinned };
const char* toString(GenState s);

struct SubscriptionReg {
  std::string pattern;              // exact, or prefix ending in ".*"
  cs_event_fn fn = nullptr;         // event_subscribe
  cs_event_seq_fn seqFn = nullptr;  // event_consume (ABI 1.6): with the sequence number
  void* ud = nullptr;
};
struct TimerReg {
  std::string name;
  uint32_t periodMs;
  cs_timer_fn fn;
  void* ud;
  std::shared_ptr<std::atomic<bool>> running = std::make_shared<std::atomic<bool>>(false);
};
struct ServiceReg {
  std::string name;
  uint32_t major;
  cs_service_fn fn;
  void* ud;
};
struct CommandReg {
  std::string name;  // full name: "<module>.<command>"
  std::string help;
  cs_admin_fn fn;
  void* ud;
};

struct ChannelReg {
  std::string pattern;  // exact, or a prefix ending in '*'
  cs_channel_handlers handlers;
  void* ud;
};
struct SocketConnectReg {
  cs_socket_connect_fn fn = nullptr;
  void* ud = nullptr;
};

bool topicMatches(const std::string& pattern, std::string_view topic);
bool channelPatternMatches(std::string_view pattern, std::string_view topic);

class Generation : public std::enable_shared_from_this<Generation>, public RouteOwner {
 public:
  Generation() = default;
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;
  ~Generation();  // closes the image if the loader did not (failure paths)

  // identity (strings copied out of the module at load: nothing here points into it)
  std::string module;
  uint64_t id = 0;
  std::string version, buildId;
  uint16_t abiMajor = 0, abiMinor = 0;
  uint32_t stateSchema = 0;
  std::string artifact, artifactSha256, runPath;
  int64_t loadedAtMs = 0;

  // image and instance
  void* dl = nullptr;
  const cs_module* desc = nullptr;
  cs_instance* inst = nullptr;
  cs_host host;

  // module config: keys and values live as long as the generation
  std::map<std::string, std::string> config;
  std::vector<std::string> configKeys;

  // registrations (staged while registrationOpen)
  std::atomic<bool> registrationOpen{true};
  std::vector<RouteReg> routes;
  std::vector<SubscriptionReg> subscriptions;
  std::vector<TimerReg> timers;
  std::vector<ServiceReg> services;
  std::vector<CommandReg> commands;
  std::vector<db::Migration> migrations;
  db::DataDeclaration data;     // tables owned, contracts published and used (ABI 1.4)
  db::AccessVerdicts verdicts;  // the ownership check's verdicts on its statements
  std::vector<ChannelReg> channels;
  SocketConnectReg socketConnect;
  std::vector<uint64_t> timerIds;  // scheduler ids while armed

  std::atomic<bool> draining{false};
  std::atomic<GenState> state{GenState::Loading};
  std::chrono::steady_clock::time_point drainStarted{};
  int64_t drainTimeoutMs = 30000;

  const std::string& moduleName() const override { return module; }
  std::string logPrefix() const override;  // "[name@version#id]"
};

using GenerationPtr = std::shared_ptr<Generation>;

}  // namespace codestats::host
