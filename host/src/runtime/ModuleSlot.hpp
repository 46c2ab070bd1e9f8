// The stable place a module lives in across reloads: the current generation (read by every
// call through an atomic shared_ptr: that copy is the lease), at most one draining or
// zombie generation, the module's event queue, and what operators need to see.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/Generation.hpp"
#include "services/WorkerPool.hpp"

namespace codestatsd {

struct PinnedImage {
  uint64_t generation;
  std::string version;
  std::string path;
};

struct ModuleSlot {
  ModuleSlot(std::string n, WorkerPool& pool, size_t eventCapacity)
      : name(std::move(n)), events(std::make_shared<SerialQueue>(pool, eventCapacity)) {}

  const std::string name;
  std::atomic<GenerationPtr> current;
  std::shared_ptr<SerialQueue> events;

  // Everything below is guarded by opMutex, which also serialises load/reload/unload.
  std::mutex opMutex;
  std::condition_variable drained;  // signalled when `draining` finishes
  GenerationPtr draining;           // draining or zombie; at most one
  std::vector<PinnedImage> pinned;
  uint64_t nextGeneration = 1;
  uint64_t reloads = 0;
  double lastDrainMs = 0;
  double maxDrainMs = 0;
  std::string lastError;
  // State exported by a generation that was unloaded with nobody to import it; a later
  // load of the same module imports it.
  bool hasParkedState = false;
  uint32_t parkedSchema = 0;
  std::string parkedState;
};

using ModuleSlotPtr = std::shared_ptr<ModuleSlot>;

}  // namespace codestatsd
