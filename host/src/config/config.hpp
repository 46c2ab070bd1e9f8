// Host configuration: zero-config defaults, one optional file (--config), environment
// overrides (CODESTATSD_<KEY>, '.' written as "__"), then --set key=value.
//
// Host keys are typed and validated; any unknown host key is an error naming the key.
// Keys under modules.<name>.* that the host does not reserve are handed to that module,
// which rejects the ones it does not know when it is created.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace codestats::host {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ModuleSettings {
  std::string artifact;  // empty: <module_dir>/<name>.so
  int64_t drainTimeoutMs = 30000;
  std::map<std::string, std::string> config;  // module-defined keys
};

// The modules loaded, in this order, when the configuration sets no `modules`: declared by
// the modules' build (modules/CMakeLists.txt, CODESTATS_DEFAULT_MODULES), not by the host.
std::vector<std::string> defaultModules();

struct HostConfig {
  std::string httpHost = "127.0.0.1";
  int httpPort = 8080;
  int httpMaxThreads = 128;
  int httpMaxQueued = 512;
  int httpBatchThreads = 8;  // threads running batch routes' calls (ABI 1.3)
  int64_t httpMaxBodyBytes = 1 << 20;
  int64_t httpKeepAliveTimeoutMs = 15000;
  int64_t httpRequestTimeoutMs = 30000;
  int64_t httpHeaderTimeoutMs = 10000;          // whole request head, however slowly it trickles in
  int64_t httpBodyTimeoutMs = 60000;            // whole request body
  bool httpSecureCookies = false;               // add Secure to every Set-Cookie (TLS in front)
  std::vector<std::string> httpTrustedProxies;  // peers whose X-Forwarded-For is believed

  std::string adminHost = "127.0.0.1";
  int adminPort = 8081;
  std::string adminToken;             // empty: read or create adminTokenFile
  std::string adminTokenFile;         // empty: <var_dir>/admin.token
  bool adminAllowPublic = false;      // start even when admin.host is not loopback
  bool adminAllowShortToken = false;  // start even with an admin token under 32 bytes

  std::string varDir = "var";
  std::string moduleDir;  // empty: next to the executable
  std::vector<std::string> modules = defaultModules();
  std::map<std::string, ModuleSettings> moduleSettings;  // by module name
  bool loaderStrictDependencies = false;

  std::string dbBackend = "sqlite";  // sqlite | postgres
  std::string dbSqlitePath;          // empty: <var_dir>/codestats.db
  std::string dbSqliteSynchronous = "FULL";
  int dbSqliteCheckpointFrames = 32000;  // WAL length that starts a background checkpoint (~128 MiB)
  std::string dbPostgresConninfo;
  int dbPoolSize = 16;
  int64_t dbAcquireTimeoutMs = 5000;

  std::string logLevel = "info";
  std::string logFormat = "text";  // text | json (one JSON object per line)
  bool logRequests = false;        // one access-log line per request (secrets redacted)

  int64_t crashGuardWindowMs = 60000;  // a crash this soon after an activation rolls back; 0 = off
  std::string secretKeyBase;           // empty: read or create <var_dir>/secret_key_base
  int workers = 4;

  // live-update sockets (the WebSocket hub)
  int64_t wsMaxMessageBytes = 64 * 1024;
  int64_t wsMaxQueuedBytes = 1 << 20;
  int64_t wsIdleTimeoutMs = 60000;
  int wsIoThreads = 2;
  int64_t wsSendBufferBytes = 0;              // 0 = kernel default
  std::vector<std::string> wsAllowedOrigins;  // pages besides the site's own that may open sockets

  int64_t httpDrainMs = 2000;        // on SIGTERM: open connections may bring one more request this long
  int64_t upgradeTimeoutMs = 60000;  // an upgrade's new host must take over within this

  // the event log (docs/events.md)
  std::string eventsHostId;      // empty: <hostname>:<http port>; names this host's cursors
  int64_t eventsMaxAgeS = 3600;  // events older than this are trimmed even if unread
  int64_t eventsLagWarnS = 30;   // a consumer this far behind is warned about (once per 10 s)
  int64_t eventsPollMs = 1000;   // consumers read the log at least this often

  bool testUnsafeNoDrain = false;  // negative control for the reload test only
  bool benchBuiltinRoute = false;  // GET /__bench/hello compiled into the host (bench baseline)

  ModuleSettings settingsFor(const std::string& module) const;
};

struct ConfigSources {
  std::string file;                  // --config
  std::vector<std::string> sets;     // --set key=value, in order
  std::vector<std::string> environ;  // "NAME=value" entries (normally from ::environ)
};

// Builds the effective configuration. Throws ConfigError with a one-line message that names
// the key (and the file and line where it came from).
HostConfig loadConfig(const ConfigSources& sources);

// The effective configuration as "key = value" lines; secrets are redacted.
std::string printConfig(const HostConfig& config);

}  // namespace codestats::host
