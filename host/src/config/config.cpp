#include "config/config.hpp"

#include "http/client_address.hpp"
#include "runtime/module_name.hpp"
#include "ws/origin_policy.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#ifndef CODESTATSD_DEFAULT_MODULES
#error "CODESTATSD_DEFAULT_MODULES (a comma-separated list) comes from modules/CMakeLists.txt"
#endif

namespace codestats::host {

std::vector<std::string> defaultModules() {
  std::vector<std::string> out;
  std::istringstream in(CODESTATSD_DEFAULT_MODULES);
  for (std::string name; std::getline(in, name, ',');)
    if (!name.empty()) out.push_back(name);
  return out;
}

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

[[noreturn]] void bad(const std::string& key, const std::string& origin, const std::string& what) {
  throw ConfigError("config: " + key + ": " + what + (origin.empty() ? "" : " (from " + origin + ")"));
}

int64_t parseInt(const std::string& key, const std::string& origin, const std::string& v, int64_t lo, int64_t hi) {
  std::string what =
      "expected an integer between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got '" + v + "'";
  if (v.empty()) bad(key, origin, what);
  size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(v, &used);
  } catch (const std::exception&) {
    bad(key, origin, what);
  }
  if (used != v.size() || n < lo || n > hi) bad(key, origin, what);
  return n;
}

bool parseBool(const std::string& key, const std::string& origin, const std::string& v) {
  std::string l = lower(v);
  if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  bad(key, origin, "expected true or false, got '" + v + "'");
}

std::string oneOf(const std::string& key, const std::string& origin, const std::string& v,
                  std::initializer_list<const char*> allowed) {
  std::string l = lower(v);
  std::string list;
  for (const char* a : allowed) {
    if (l == lower(a)) return a;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  bad(key, origin, "expected one of " + list + ", got '" + v + "'");
}

std::vector<std::string> parseList(const std::string& key, const std::string& origin, const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    if (!isValidModuleName(item)) bad(key, origin, invalidModuleNameMessage(item));
    if (std::find(out.begin(), out.end(), item) != out.end()) bad(key, origin, "module '" + item + "' listed twice");
    out.push_back(item);
  }
  return out;
}

struct KeySpec {
  std::function<void(HostConfig&, const std::string& origin, const std::string& value)> set;
  std::function<std::string(const HostConfig&)> get;
  bool secret = false;
};

using Registry = std::map<std::string, KeySpec>;

Registry hostKeys() {
  Registry r;
  auto str = [&](const char* k, std::string HostConfig::*m, bool secret = false) {
    r[k] = {[m](HostConfig& c, const std::string&, const std::string& v) { c.*m = v; },
            [m](const HostConfig& c) { return c.*m; }, secret};
  };
  auto integer = [&](const char* k, auto m, int64_t lo, int64_t hi) {
    std::string key = k;
    r[k] = {[m, lo, hi, key](HostConfig& c, const std::string& o, const std::string& v) {
              c.*m = static_cast<std::remove_reference_t<decltype(c.*m)>>(parseInt(key, o, v, lo, hi));
            },
            [m](const HostConfig& c) { return std::to_string(c.*m); }, false};
  };
  auto boolean = [&](const char* k, bool HostConfig::*m) {
    std::string key = k;
    r[k] = {[m, key](HostConfig& c, const std::string& o, const std::string& v) { c.*m = parseBool(key, o, v); },
            [m](const HostConfig& c) { return std::string(c.*m ? "true" : "false"); }, false};
  };

  str("http.host", &HostConfig::httpHost);
  integer("http.port", &HostConfig::httpPort, 0, 65535);
  integer("http.max_threads", &HostConfig::httpMaxThreads, 1, 4096);
  integer("http.max_queued", &HostConfig::httpMaxQueued, 1, 100000);
  integer("http.batch_threads", &HostConfig::httpBatchThreads, 1, 256);
  integer("http.max_body_bytes", &HostConfig::httpMaxBodyBytes, 1, int64_t(1) << 30);
  integer("http.keepalive_timeout_ms", &HostConfig::httpKeepAliveTimeoutMs, 100, 3600000);
  integer("http.request_timeout_ms", &HostConfig::httpRequestTimeoutMs, 100, 3600000);
  integer("http.header_timeout_ms", &HostConfig::httpHeaderTimeoutMs, 100, 3600000);
  integer("http.body_timeout_ms", &HostConfig::httpBodyTimeoutMs, 100, 3600000);
  boolean("http.secure_cookies", &HostConfig::httpSecureCookies);
  r["http.trusted_proxies"] = {[](HostConfig& c, const std::string& o, const std::string& v) {
                                 c.httpTrustedProxies.clear();
                                 std::stringstream ss(v);
                                 std::string item;
                                 while (std::getline(ss, item, ',')) {
                                   item = trim(item);
                                   if (item.empty()) continue;
                                   if (!isIpAddress(item))
                                     bad("http.trusted_proxies", o, "expected IP addresses, got '" + item + "'");
                                   c.httpTrustedProxies.push_back(item);
                                 }
                               },
                               [](const HostConfig& c) {
                                 std::string s;
                                 for (auto& p : c.httpTrustedProxies) s += (s.empty() ? "" : ",") + p;
                                 return s;
                               },
                               false};
  str("admin.host", &HostConfig::adminHost);
  integer("admin.port", &HostConfig::adminPort, 0, 65535);
  str("admin.token", &HostConfig::adminToken, true);
  str("admin.token_file", &HostConfig::adminTokenFile);
  boolean("admin.allow_public", &HostConfig::adminAllowPublic);
  boolean("admin.allow_short_token", &HostConfig::adminAllowShortToken);
  str("var_dir", &HostConfig::varDir);
  str("module_dir", &HostConfig::moduleDir);
  r["modules"] = {
      [](HostConfig& c, const std::string& o, const std::string& v) { c.modules = parseList("modules", o, v); },
      [](const HostConfig& c) {
        std::string s;
        for (auto& m : c.modules) s += (s.empty() ? "" : ",") + m;
        return s;
      },
      false};
  boolean("loader.strict_dependencies", &HostConfig::loaderStrictDependencies);
  r["db.backend"] = {[](HostConfig& c, const std::string& o, const std::string& v) {
                       c.dbBackend = oneOf("db.backend", o, v, {"sqlite", "postgres"});
                     },
                     [](const HostConfig& c) { return c.dbBackend; }, false};
  str("db.sqlite.path", &HostConfig::dbSqlitePath);
  r["db.sqlite.synchronous"] = {[](HostConfig& c, const std::string& o, const std::string& v) {
                                  c.dbSqliteSynchronous = oneOf("db.sqlite.synchronous", o, v, {"FULL", "NORMAL"});
                                },
                                [](const HostConfig& c) { return c.dbSqliteSynchronous; }, false};
  integer("db.sqlite.checkpoint_frames", &HostConfig::dbSqliteCheckpointFrames, 100, 1000000);
  str("db.postgres.conninfo", &HostConfig::dbPostgresConninfo, true);
  integer("db.pool_size", &HostConfig::dbPoolSize, 1, 1024);
  integer("db.acquire_timeout_ms", &HostConfig::dbAcquireTimeoutMs, 1, 600000);
  r["log.level"] = {[](HostConfig& c, const std::string& o, const std::string& v) {
                      c.logLevel = oneOf("log.level", o, v, {"trace", "debug", "info", "warn", "error"});
                    },
                    [](const HostConfig& c) { return c.logLevel; }, false};
  r["log.format"] = {[](HostConfig& c, const std::string& o, const std::string& v) {
                       c.logFormat = oneOf("log.format", o, v, {"text", "json"});
                     },
                     [](const HostConfig& c) { return c.logFormat; }, false};
  boolean("log.requests", &HostConfig::logRequests);
  integer("crash_guard.window_ms", &HostConfig::crashGuardWindowMs, 0, 86400000);
  str("secret_key_base", &HostConfig::secretKeyBase, true);
  integer("workers", &HostConfig::workers, 1, 256);
  integer("ws.max_message_bytes", &HostConfig::wsMaxMessageBytes, 1024, 16 << 20);
  integer("ws.max_queued_bytes", &HostConfig::wsMaxQueuedBytes, 1024, int64_t(1) << 30);
  integer("ws.idle_timeout_ms", &HostConfig::wsIdleTimeoutMs, 1000, 86400000);
  integer("ws.io_threads", &HostConfig::wsIoThreads, 1, 64);
  integer("ws.send_buffer_bytes", &HostConfig::wsSendBufferBytes, 0, 64 << 20);
  r["ws.allowed_origins"] = {
      [](HostConfig& c, const std::string& o, const std::string& v) {
        c.wsAllowedOrigins.clear();
        std::stringstream ss(v);
        std::string item;
        while (std::getline(ss, item, ',')) {
          item = trim(item);
          if (item.empty()) continue;
          if (!parseOriginHost(item))
            bad("ws.allowed_origins", o,
                "expected origins like https://app.example.org or host:port, got '" + item + "'");
          c.wsAllowedOrigins.push_back(item);
        }
      },
      [](const HostConfig& c) {
        std::string s;
        for (auto& p : c.wsAllowedOrigins) s += (s.empty() ? "" : ",") + p;
        return s;
      },
      false};
  integer("http.drain_ms", &HostConfig::httpDrainMs, 0, 600000);
  integer("upgrade.timeout_ms", &HostConfig::upgradeTimeoutMs, 1000, 3600000);
  str("events.host_id", &HostConfig::eventsHostId);
  integer("events.max_age_s", &HostConfig::eventsMaxAgeS, 10, 365 * 86400);
  integer("events.lag_warn_s", &HostConfig::eventsLagWarnS, 1, 86400);
  integer("events.poll_ms", &HostConfig::eventsPollMs, 10, 60000);
  boolean("test.unsafe_no_drain", &HostConfig::testUnsafeNoDrain);
  boolean("bench.builtin_route", &HostConfig::benchBuiltinRoute);
  return r;
}

// Applies one key. Module keys look like modules.<name>.<key>.
void apply(HostConfig& c, const Registry& reg, const std::string& rawKey, const std::string& value,
           const std::string& origin) {
  std::string key = trim(rawKey);
  auto it = reg.find(key);
  if (it != reg.end()) {
    it->second.set(c, origin, value);
    return;
  }
  const std::string prefix = "modules.";
  if (key.rfind(prefix, 0) == 0) {
    std::string rest = key.substr(prefix.size());
    size_t dot = rest.find('.');
    if (dot != std::string::npos && dot > 0 && dot + 1 < rest.size()) {
      std::string module = rest.substr(0, dot), sub = rest.substr(dot + 1);
      if (!isValidModuleName(module)) bad(key, origin, invalidModuleNameMessage(module));
      ModuleSettings& ms = c.moduleSettings[module];
      if (sub == "artifact") {
        ms.artifact = value;
      } else if (sub == "drain_timeout_ms") {
        ms.drainTimeoutMs = parseInt(key, origin, value, 1, 3600000);
      } else {
        ms.config[sub] = value;
      }
      return;
    }
  }
  throw ConfigError("config: unknown key '" + key + "'" + (origin.empty() ? "" : " (from " + origin + ")"));
}

void applyFile(HostConfig& c, const Registry& reg, const std::string& path) {
  std::ifstream in(path);
  // A directory opens fine as an ifstream and then reads as empty: reject it too.
  if (!in || std::filesystem::is_directory(path)) throw ConfigError("config: cannot read config file '" + path + "'");
  std::string line, section;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    std::string origin = path + ":" + std::to_string(lineNo);
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      if (t.back() != ']') throw ConfigError("config: " + origin + ": malformed section header '" + t + "'");
      section = trim(t.substr(1, t.size() - 2));
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos) throw ConfigError("config: " + origin + ": expected 'key = value', got '" + t + "'");
    std::string key = trim(t.substr(0, eq)), value = trim(t.substr(eq + 1));
    if (key.empty()) throw ConfigError("config: " + origin + ": missing key before '='");
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    apply(c, reg, section.empty() ? key : section + "." + key, value, origin);
  }
}

// CODESTATSD_HTTP__PORT -> http.port
std::string envToKey(const std::string& name) {
  std::string rest = name.substr(std::string("CODESTATSD_").size()), key;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '_' && i + 1 < rest.size() && rest[i + 1] == '_') {
      key += '.';
      ++i;
    } else {
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(rest[i])));
    }
  }
  return key;
}

void validate(HostConfig& c) {
  if (c.dbBackend == "postgres" && c.dbPostgresConninfo.empty())
    throw ConfigError("config: db.postgres.conninfo: required when db.backend = postgres");
  if (c.varDir.empty()) throw ConfigError("config: var_dir: must not be empty");
  // Settings for modules not in `modules` are allowed: they apply when an operator loads
  // that module later through the admin API.
}

}  // namespace

ModuleSettings HostConfig::settingsFor(const std::string& module) const {
  auto it = moduleSettings.find(module);
  return it == moduleSettings.end() ? ModuleSettings{} : it->second;
}

HostConfig loadConfig(const ConfigSources& sources) {
  HostConfig c;
  Registry reg = hostKeys();
  if (!sources.file.empty()) applyFile(c, reg, sources.file);
  for (const auto& entry : sources.environ) {
    if (entry.rfind("CODESTATSD_", 0) != 0) continue;
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(0, eq);
    apply(c, reg, envToKey(name), entry.substr(eq + 1), "environment " + name);
  }
  for (const auto& s : sources.sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos) throw ConfigError("config: --set expects key=value, got '" + s + "'");
    apply(c, reg, s.substr(0, eq), s.substr(eq + 1), "--set");
  }
  validate(c);
  return c;
}

std::string printConfig(const HostConfig& c) {
  std::string out;
  for (const auto& [key, spec] : hostKeys()) {
    std::string v = spec.get(c);
    if (spec.secret && !v.empty()) v = "<redacted>";
    out += key + " = " + v + "\n";
  }
  for (const auto& [name, ms] : c.moduleSettings) {
    if (!ms.artifact.empty()) out += "modules." + name + ".artifact = " + ms.artifact + "\n";
    out += "modules." + name + ".drain_timeout_ms = " + std::to_string(ms.drainTimeoutMs) + "\n";
    for (const auto& [k, v] : ms.config) {
      bool secret = k.find("key") != std::string::npos || k.find("password") != std::string::npos ||
                    k.find("secret") != std::string::npos || k.find("token") != std::string::npos;
      out += "modules." + name + "." + k + " = " + (secret && !v.empty() ? "<redacted>" : v) + "\n";
    }
  }
  return out;
}

}  // namespace codestats::host
