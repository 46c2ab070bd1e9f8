// Crash-loop guard: a module version that takes the host down soon after it was activated
// is not loaded again on the next start; the module's last known-good version is.
//
// Per module, <var_dir>/state/<module>.json records (written with fsync before the new
// generation is swapped in):
//   pending     the version activated last, until it survived crash_guard.window_ms;
//   known_good  the last version that did, with a copy of its image under state/known-good/
//               (the operator's file may be gone, and run/ is emptied at start);
//   bad         sha256 of versions that were pending when the host died.
// Only a host that died while an activation was pending leaves one behind: a clean
// shutdown forgets pending activations without promoting them.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace codestats::host {

class CrashLoopGuard {
 public:
  struct StartupChoice {
    std::string artifact;  // empty: load the configured artifact
    std::string reason;    // why, for the log (also set when there is nothing to fall back to)
  };

  // window 0 disables the guard (nothing is recorded or changed).
  CrashLoopGuard(std::string stateDir, std::chrono::milliseconds window);

  // Before a module is loaded at start: what to load instead of the configured artifact,
  // whose sha256 is configuredSha (empty if unreadable).
  StartupChoice startupChoice(const std::string& module, const std::string& configuredSha);

  // Before a new generation of `module` is swapped in. runPath: the host's copy of its image.
  void activating(const std::string& module, const std::string& version, const std::string& sha256,
                  const std::string& runPath);
  // Promotes the activations that survived the window; called periodically.
  void promoteDue();
  // Clean shutdown: pending activations did not crash anything.
  void cleanShutdown();

  bool enabled() const { return window_.count() > 0; }

 private:
  struct Pending {
    std::string version, sha256, runPath;
    std::chrono::steady_clock::time_point due;
  };
  std::string recordPath(const std::string& module) const;

  std::string dir_;
  std::chrono::milliseconds window_;
  std::mutex mu_;
  std::map<std::string, Pending> pending_;  // by module
};

}  // namespace codestats::host
