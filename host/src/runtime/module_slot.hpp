// The stable place a module lives in across reloads: the current generation (read by every
// call as a shared_ptr copy: that copy is the lease), at most one draining or
// zombie generation, and what operators need to see.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/generation.hpp"

namespace codestats::host {

struct PinnedImage {
  uint64_t generation;
  std::string version;
  std::string path;
};

// The current generation of a slot, read by every request and event: load() copies the
// shared_ptr (that copy is the lease) under a reader lock. std::atomic<std::shared_ptr>
// (libstdc++ 12) guards the same copy with a spin lock: with many request threads on few
// cores, a holder preempted inside it left the others spinning for their whole time slice,
// ~10% of the host's CPU under ingest load (bench/README.md). Readers of a shared_mutex
// neither spin nor wait for each other; only store() (a load, reload or unload) excludes them.
class CurrentGeneration {
 public:
  GenerationPtr load() const {
    std::shared_lock lock(mutex_);
    return ptr_;
  }
  void store(GenerationPtr next) {
    GenerationPtr old;
    {
      std::unique_lock lock(mutex_);
      old = std::exchange(ptr_, std::move(next));
    }
    // `old` is released outside the lock: the last reference may run a destructor.
  }

 private:
  mutable std::shared_mutex mutex_;
  GenerationPtr ptr_;
};

struct ModuleSlot {
  explicit ModuleSlot(std::string n) : name(std::move(n)) {}

  const std::string name;
  CurrentGeneration current;

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

}  // namespace codestats::host
