// codestatsd: the Code::Stats-compatible statistics server (a plugin host).
#include <signal.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "app/host.hpp"

extern char** environ;

// jemalloc's settings (read at its start; unused without jemalloc, e.g. in the sanitizer
// build). Two arenas for two cores' worth of threads, freed pages returned after about a
// second by jemalloc's own background thread: after a burst the process shrinks back
// (bench/README.md, "Memory after bursts"). MALLOC_CONF in the environment still overrides.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "background_thread:true,narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0";
}

namespace {

const char* kUsage =
    "usage: codestatsd [--config FILE] [--set KEY=VALUE]... [--print-config]\n"
    "  --config FILE     read settings from FILE (key = value lines, [section] headers)\n"
    "  --set KEY=VALUE   override one setting (after the file and CODESTATSD_* variables)\n"
    "  --print-config    print the effective configuration and exit\n"
    "Environment: CODESTATSD_<KEY> with '.' written as '__', e.g. CODESTATSD_HTTP__PORT=9000\n";

// The executable's path now: an upgrade starts whatever is installed there then.
std::string runningBinary(const char* argv0) {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return argv0;
  std::string p(path, static_cast<size_t>(n));
  const std::string deleted = " (deleted)";
  if (p.size() > deleted.size() && p.compare(p.size() - deleted.size(), deleted.size(), deleted) == 0)
    p.resize(p.size() - deleted.size());
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  codestats::host::ConfigSources sources;
  codestats::host::HostLaunch launch;
  launch.binary = runningBinary(argv[0]);
  bool print = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--handover-fd" && i + 1 < argc) {  // internal: set by the host that starts this one
      launch.handoverFd = std::atoi(argv[++i]);
      continue;
    }
    launch.args.push_back(a);
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "codestatsd: " << flag << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") {
      sources.file = value("--config");
      launch.args.push_back(sources.file);
    } else if (a == "--set") {
      sources.sets.push_back(value("--set"));
      launch.args.push_back(sources.sets.back());
    } else if (a.rfind("--config=", 0) == 0) sources.file = a.substr(9);
    else if (a.rfind("--set=", 0) == 0) sources.sets.push_back(a.substr(6));
    else if (a == "--print-config") print = true;
    else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--version") {
      std::cout << "codestatsd " << CODESTATSD_VERSION << "\n";
      return 0;
    } else {
      std::cerr << "codestatsd: unknown argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  for (char** e = environ; e && *e; ++e) sources.environ.emplace_back(*e);

  // Signals are handled by sigwait in Host::run; block them before any thread starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Everything the host creates (database and its -wal/-shm, module copies, crash-guard
  // state, mail files, secrets) holds password hashes, e-mail addresses or keys: 0600
  // files and 0700 directories, whatever umask the shell or a unit without UMask= passed on.
  ::umask(077);

  try {
    if (print) {  // the effective values, module dir resolved, secrets redacted
      codestats::host::HostConfig c = codestats::host::loadConfig(sources);
      if (c.moduleDir.empty()) c.moduleDir = codestats::host::defaultModuleDir();
      std::cout << codestats::host::printConfig(c);
      return 0;
    }
    codestats::host::Host host(sources, launch);
    return host.run();
  } catch (const codestats::host::ConfigError& e) {
    std::cerr << "codestatsd: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "codestatsd: fatal: " << e.what() << "\n";
    return 1;
  }
}
