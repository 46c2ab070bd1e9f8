// Puts a module image into the process and takes it out again, checking both ways:
// copy the artifact to a unique path, dlopen RTLD_NOW|RTLD_LOCAL, validate the descriptor;
// on the way out dlclose and verify the image is really gone (else it is "pinned").
#pragma once

#include <stdexcept>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "runtime/generation.hpp"

namespace codestats::host {

class ArtifactFile;

// Why a load was refused; `reason` is shown to operators verbatim.
class LoadError : public std::runtime_error {
 public:
  explicit LoadError(const std::string& reason) : std::runtime_error(reason) {}
};

class ModuleLoader {
 public:
  ModuleLoader(std::string runDir, bool strictDependencies);

  // Empties the run directory (copies from an earlier process are never reused).
  void cleanRunDir() const;

  // Fills gen's identity, dl and desc. Throws LoadError; on failure nothing stays mapped.
  void openImage(Generation& gen, const std::string& expectedName, const std::string& artifact) const;

  // dlclose()s the image; returns false if it is still mapped afterwards (pinned).
  bool closeImage(Generation& gen) const;

  // The artifact's sha256, remembered per (path, device, inode, size, mtime): artifacts are
  // immutable files, so a reload storm alternating two artifacts does not hash them again
  // and again. Throws LoadError for anything but a regular file (runtime/ArtifactFile).
  std::string artifactSha256(const std::string& path) const;
  static bool isMapped(const std::string& path);

 private:
  std::string sha256Of(const std::string& path, const ArtifactFile& file) const;

  std::string runDir_;
  bool strict_;
  mutable std::mutex shaMutex_;
  mutable std::map<std::string, std::pair<std::string, std::string>> shaCache_;  // path -> (stat key, sha)
};

}  // namespace codestats::host
