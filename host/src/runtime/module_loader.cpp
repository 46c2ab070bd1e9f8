#include "runtime/module_loader.hpp"

#include <dlfcn.h>
#include <link.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <set>

#include "runtime/artifact_file.hpp"
#include "runtime/module_name.hpp"

namespace codestats::host {

namespace fs = std::filesystem;

namespace {

std::set<std::string> loadedObjects() {
  std::set<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        if (info->dlpi_name && *info->dlpi_name) static_cast<std::set<std::string>*>(data)->insert(info->dlpi_name);
        return 0;
      },
      &names);
  return names;
}

// The v1.0 descriptor ends with destroy; anything shorter is not a valid v1 module.
constexpr size_t kModuleV10Size = offsetof(cs_module, destroy) + sizeof(void*);

}  // namespace

ModuleLoader::ModuleLoader(std::string runDir, bool strictDependencies)
    : runDir_(std::move(runDir)), strict_(strictDependencies) {}

void ModuleLoader::cleanRunDir() const {
  std::error_code ec;
  fs::remove_all(runDir_, ec);
  fs::create_directories(runDir_);
}

std::string ModuleLoader::artifactSha256(const std::string& path) const {
  ArtifactFile file(path);
  return sha256Of(path, file);
}

std::string ModuleLoader::sha256Of(const std::string& path, const ArtifactFile& file) const {
  std::string key = file.identity();
  {
    std::lock_guard lock(shaMutex_);
    auto it = shaCache_.find(path);
    if (it != shaCache_.end() && it->second.first == key) return it->second.second;
  }
  std::string sha = file.sha256();
  std::lock_guard lock(shaMutex_);
  shaCache_[path] = {key, sha};
  return sha;
}

bool ModuleLoader::isMapped(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.size() >= path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0) return true;
  return false;
}

void ModuleLoader::openImage(Generation& gen, const std::string& expectedName, const std::string& artifact) const {
  // The name is part of the copy's path below; callers check it already.
  if (!isValidModuleName(expectedName)) throw LoadError(invalidModuleNameMessage(expectedName));
  std::error_code ec;
  ArtifactFile file(artifact);  // only a regular file; hashed and copied from this one open
  gen.artifact = fs::absolute(artifact).string();
  gen.artifactSha256 = sha256Of(artifact, file);

  // A unique path per generation: dlopen of a path already loaded would return the old
  // image, and a file replaced under a live mapping can crash the host.
  fs::path dir = fs::path(runDir_) / expectedName;
  fs::create_directories(dir);
  gen.runPath = fs::absolute(dir / (std::to_string(gen.id) + "-" + gen.artifactSha256.substr(0, 8) + ".so")).string();
  file.copyTo(gen.runPath);

  auto fail = [&](const std::string& reason) {
    if (gen.dl) {
      dlclose(gen.dl);
      gen.dl = nullptr;
    }
    gen.desc = nullptr;
    fs::remove(gen.runPath, ec);
    throw LoadError(reason);
  };

  auto before = loadedObjects();
  gen.dl = dlopen(gen.runPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!gen.dl) {
    const char* e = dlerror();
    fail(std::string("dlopen failed: ") + (e ? e : "unknown error"));
  }
  for (const auto& name : loadedObjects()) {
    if (before.count(name) || name == gen.runPath) continue;
    std::string msg = "loading " + expectedName + " mapped a library the host does not link: " + name +
                      " (it may pin the module; see sdk/tools/needed-allowlist.txt)";
    if (strict_) fail(msg);
    spdlog::warn("[host] {}", msg);
  }

  auto entry = reinterpret_cast<cs_module_entry_fn>(dlsym(gen.dl, CS_MODULE_ENTRY_SYMBOL));
  if (!entry) fail(std::string("missing entry symbol ") + CS_MODULE_ENTRY_SYMBOL);
  const cs_module* m = entry(CS_ABI_MAJOR, CS_ABI_MINOR);
  if (!m) fail("the entry point returned no descriptor");
  if (m->struct_size < kModuleV10Size)
    fail("descriptor struct_size " + std::to_string(m->struct_size) + " is smaller than ABI 1.0's " +
         std::to_string(kModuleV10Size));
  if (m->abi_major != CS_ABI_MAJOR)
    fail("ABI major " + std::to_string(m->abi_major) + " != host " + std::to_string(CS_ABI_MAJOR) + "." +
         std::to_string(CS_ABI_MINOR));
  if (m->abi_minor > CS_ABI_MINOR)
    fail("module needs ABI " + std::to_string(m->abi_major) + "." + std::to_string(m->abi_minor) + ", host provides " +
         std::to_string(CS_ABI_MAJOR) + "." + std::to_string(CS_ABI_MINOR));
  if (!m->name || expectedName != m->name)
    fail("module calls itself '" + std::string(m->name ? m->name : "") + "', expected '" + expectedName + "'");
  if (!m->create || !m->destroy) fail("descriptor lacks create or destroy");

  // Copy every string now: pointers into the image die with it.
  gen.desc = m;
  gen.module = m->name;
  gen.version = m->version ? m->version : "0";
  gen.buildId = m->build_id ? m->build_id : "";
  gen.abiMajor = m->abi_major;
  gen.abiMinor = m->abi_minor;
  gen.stateSchema = m->state_schema;
  gen.loadedAtMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
}

bool ModuleLoader::closeImage(Generation& gen) const {
  if (!gen.dl) return true;
  dlclose(gen.dl);
  gen.dl = nullptr;
  gen.desc = nullptr;
  bool resident = false;
  if (void* again = dlopen(gen.runPath.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
    resident = true;
    dlclose(again);
  }
  resident = resident || isMapped(gen.runPath);
  if (!resident) {
    std::error_code ec;
    fs::remove(gen.runPath, ec);
  }
  return !resident;
}

}  // namespace codestats::host
