// codestats::testing::FakeHost: unit tests for a module's handlers without a running host.
//
// A header-only fake of codestatsd that implements the whole cs_host_api table (ABI 1.4) and
// drives a module through its real cs_module descriptor: cs_module_entry_v1 (linked into the
// test, or dlopen()ed from the built .so), then create / migrations / start, and stop /
// destroy on unload. The module's code runs exactly as in the host; only the host side is
// simplified. Needs SQLite (link SQLite::SQLite3; CMake: CodeStats::testing) and, for
// loadLibrary(), dlopen (in libc since glibc 2.34, else ${CMAKE_DL_LIBS}). No test framework
// is required; the kit throws std::runtime_error (LoadError) on a refused load and returns
// plain structs everywhere else, so any framework (or plain assert) can check them.
//
//   codestats::testing::FakeHost host;
//   host.config("greeting", "hi").load(&cs_module_entry_v1);   // or loadLibrary("mymod.so")
//   auto r = host.request("GET", "/my/world");                  // r.status, r.body, r.header()
//   host.publish("pulse.created", R"({"user_id":1})");          // delivered synchronously
//   auto s = host.call("mymod", 1, "stats", "{}");              // s.ok(), s.output, s.error
//   host.runCommand("mymod.stats", {});  host.tick("refresh");
//   host.sql("SELECT count(*) FROM my_table").scalarInt();
//
// What is like the host:
//   - the registration rules: every registration outside create() fails with CS_E_STATE;
//     duplicates with CS_E_CONFLICT; bad patterns, names and options with CS_E_INVALID;
//   - routing: normalised paths (duplicate and trailing slashes), ":name" and final "*rest"
//     captures, the most literal match wins, an exact method beats "*", HEAD runs GET routes
//     without a body, 404 / 405 (with Allow) / 400 for dot segments, a failing handler is a 500
//     {"error":"Internal server error","request_id":...} and an error log line;
//   - batch routes (ABI 1.3): request() calls the batch handler with one request,
//     requestBatch() with several;
//   - the database: SQLite, one in-memory database per FakeHost, $1..$N placeholders (other
//     placeholders and several statements per query are refused as by the host),
//     CS_E_CONFLICT for unique violations, db_transaction (BEGIN IMMEDIATE .. COMMIT, rolled
//     back on a non-OK return), migrations applied at load in version order, once per
//     (module, version) for the life of the FakeHost, each in its own transaction;
//   - table ownership (ABI 1.4) for modules built against 1.4 or later: db_own_table,
//     db_publish and db_use are recorded, the load checks of docs/data-ownership.md are made
//     (claiming another module's table, contract names and tables, using a version the owner
//     does not publish), and every statement (queries and migrations) is described with
//     sqlite3_set_authorizer and refused with CS_E_DENIED outside the module's tables, the
//     tables of the contracts it uses and the sqlite_* catalogs. Tables of modules that are
//     not loaded are declared with declareContract() / declareTable().
//   - KV: per module namespace, TTLs against a fake clock (advanceClock()), kv_incr replaces a
//     non-numeric value; metrics validate names as the host does.
//   - Events (ABI 1.6): every event is appended to codestats_events (readable through the
//     read contract "host.events" v2) and delivered with its sequence number; event_append
//     events are written in the transaction and delivered after its commit. event_publish
//     inside db_transaction fails with CS_E_STATE (in the host it waits for the writer).
//
// What differs (single-threaded and deterministic on purpose):
//   - Everything runs on the calling thread. Events a module publishes and tasks it submits
//     are queued and run when the outermost FakeHost call returns (request, publish, call,
//     runCommand, tick, join...), in order; FakeHost::publish() itself delivers synchronously.
//     Timers never fire by themselves: tick(name) runs one.
//   - One SQLite connection: a read with tx == NULL inside db_transaction sees the
//     transaction's uncommitted rows (the host's pooled reader would not). A WRITE with
//     tx == NULL inside db_transaction, and a nested db_transaction, fail with CS_E_STATE:
//     in the host they wait for the writer the transaction itself holds.
//   - db_backend() is CS_DB_SQLITE; no PostgreSQL. Channels have no sockets: join(),
//     channelEvent(), leave() and connectSocket() call the module's handlers, and
//     channel_broadcast / channel_push are recorded (broadcasts(), pushes()).
//   - No hand-over between generations: unload() stops and destroys; a later load() of the
//     same module starts fresh (its database tables and KV stay, as in the host).
//
// Not thread-safe: use one FakeHost per test, from one thread.
#pragma once

#include <codestats/module_abi.h>
#include <codestats/sdk.hpp>
#include <dlfcn.h>
#include <sqlite3.h>

#include <codestats/sqlite_table_access.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codestats {
namespace testing {

using Headers = std::vector<std::pair<std::string, std::string>>;
class FakeHost;

// A refused load (create, an ownership check, a migration or start failed).
class LoadError : public std::runtime_error {
 public:
  explicit LoadError(const std::string& m) : std::runtime_error(m) {}
};

// The result of a call into the module: status, its output (service response, command text,
// channel reply, socket identity) and its error message.
struct Outcome {
  cs_status status = CS_OK;
  std::string output;
  std::string error;
  bool ok() const { return status == CS_OK; }
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path and optional ?query
  std::string body;
  Headers headers;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
  // The first header of that name (case-insensitive).
  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          }))
        return v;
    return std::nullopt;
  }
};

// A database cell (a copy).
struct Value {
  int32_t type = CS_VAL_NULL;
  int64_t i = 0;
  double d = 0;
  std::string s;
  bool isNull() const { return type == CS_VAL_NULL; }
};

// The result of FakeHost::sql().
struct Result {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  int64_t affected = 0;
  size_t size() const { return rows.size(); }
  const std::vector<Value>& operator[](size_t r) const { return rows.at(r); }
  // The first column of the first row as an integer / text (throws when there is no row).
  int64_t scalarInt() const {
    return rows.at(0).at(0).type == CS_VAL_REAL ? static_cast<int64_t>(rows[0][0].d) : rows[0][0].i;
  }
  std::string scalarText() const { return rows.at(0).at(0).s; }
};

struct LogLine {
  int level;
  std::string module;
  std::string message;
};

struct Event {
  std::string module;  // the publisher
  std::string topic;
  std::string payload;
  uint64_t seq = 0;  // its position in the log (ABI 1.6)
};

struct ChannelMessage {
  std::string module;
  uint64_t conn;  // 0 for a broadcast
  std::string topic, event, payload;
};

namespace detail {

// The host-side objects behind the ABI's opaque pointers. They live in this namespace (and are
// passed as cs_buf*, cs_http_req*, ... by reinterpret_cast), so the kit defines no global
// struct cs_buf that could collide with another definition in the same program.
struct Buf {
  std::string data;
};
struct Req {
  std::string method, path, target, query, body, remote, id;
  Headers headers;
  Headers params;
};
struct Resp {
  int status = 200;
  Headers headers;
  std::string body;
  bool failed = false;  // resp_fail
  std::string failure;
};
struct Tx {
  bool open = true;
  std::vector<std::pair<std::string, std::string>> events;  // event_append: topic, payload
};
struct Rows {
  std::vector<std::string> columns;
  std::vector<Value> cells;
  int64_t affected = 0;
  size_t count() const { return columns.empty() ? 0 : cells.size() / columns.size(); }
};

inline std::string_view sv(cs_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }
// Topics are stored like the host stores them: a newline separates a frame's topics there.
inline bool storableTopic(std::string_view t) { return !t.empty() && t.find('\n') == std::string_view::npos; }
inline cs_str cs(const std::string& s) { return cs_str{s.data(), s.size()}; }
inline Buf* buf(cs_buf* b) { return reinterpret_cast<Buf*>(b); }
inline const Buf* buf(const cs_buf* b) { return reinterpret_cast<const Buf*>(b); }
inline const Req* req(const cs_http_req* r) { return reinterpret_cast<const Req*>(r); }
inline Resp* resp(cs_http_resp* r) { return reinterpret_cast<Resp*>(r); }
inline const Rows* rows(const cs_rows* r) { return reinterpret_cast<const Rows*>(r); }

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
inline bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
inline bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

inline std::string normalizePath(std::string_view path) {
  std::string out = "/";
  for (char c : path) {
    if (c == '/' && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}
inline std::vector<std::string> segments(const std::string& normalized) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start < normalized.size()) {
    size_t end = normalized.find('/', start);
    if (end == std::string::npos) end = normalized.size();
    parts.push_back(normalized.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// A route pattern as the host reads it (host/src/http/route_pattern.cpp).
struct Pattern {
  struct Segment {
    enum Kind { Literal, Param, Rest } kind;
    std::string text;
  };
  std::string text;
  std::vector<Segment> segs;
  // "/*name" alone: answers only paths no other route knows; never hides a 405.
  bool fallback() const { return segs.size() == 1 && segs[0].kind == Segment::Rest; }
  static std::optional<Pattern> parse(std::string_view pattern) {
    if (pattern.empty() || pattern.front() != '/') return std::nullopt;
    Pattern p;
    p.text = normalizePath(pattern);
    for (const auto& seg : segments(p.text)) {
      if (!p.segs.empty() && p.segs.back().kind == Segment::Rest) return std::nullopt;
      if (seg[0] == ':' || seg[0] == '*') {
        if (seg.size() < 2) return std::nullopt;
        p.segs.push_back({seg[0] == ':' ? Segment::Param : Segment::Rest, seg.substr(1)});
      } else {
        p.segs.push_back({Segment::Literal, seg});
      }
    }
    return p;
  }
  std::optional<int> match(const std::string& path, const std::vector<std::string>& parts, Headers& params) const {
    params.clear();
    int score = 0;
    size_t i = 0;
    for (const auto& seg : segs) {
      if (seg.kind == Segment::Rest) {
        std::string rest;
        if (i < parts.size()) {
          size_t offset = 1;
          for (size_t k = 0; k < i; ++k) offset += parts[k].size() + 1;
          rest = path.substr(offset);
        }
        params.emplace_back(seg.text, rest);
        return score;
      }
      if (i >= parts.size()) return std::nullopt;
      if (seg.kind == Segment::Literal) {
        if (parts[i] != seg.text) return std::nullopt;
        score += 2;
      } else {
        params.emplace_back(seg.text, parts[i]);
        score += 1;
      }
      ++i;
    }
    if (i != parts.size()) return std::nullopt;
    return score;
  }
};

inline bool topicMatches(const std::string& pattern, std::string_view topic) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && endsWith(pattern, ".*")) {
    std::string_view prefix(pattern.data(), pattern.size() - 1);
    return topic.size() > prefix.size() && startsWith(topic, prefix);
  }
  return topic == pattern;
}
inline bool channelMatches(const std::string& pattern, std::string_view topic) {
  if (!pattern.empty() && pattern.back() == '*')
    return startsWith(topic, std::string_view(pattern).substr(0, pattern.size() - 1));
  return topic == pattern;
}
inline bool tableName(std::string_view s) {
  if (s.empty() || s.size() > 63 || !(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}
inline bool contractName(std::string_view s) {
  size_t dot = s.find('.');
  return dot != std::string_view::npos && tableName(s.substr(0, dot)) && tableName(s.substr(dot + 1));
}
inline bool moduleName(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::islower(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}
inline bool metricName(std::string_view n) {
  if (n.empty() || n.size() > 64 || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  for (const char* s : {"_total", "_bucket", "_sum", "_count", "_info"})
    if (endsWith(n, s)) return false;
  return true;
}
inline bool headerName(std::string_view n) {
  return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
  });
}
inline bool headerValue(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}
inline std::string lower(const char* s) {
  std::string out = s ? s : "";
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
inline std::vector<std::string> splitList(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    out.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return out;
}

using Use = access::TableUse;  // the host's vocabulary and wording (codestats/table_access.hpp)
using Access = access::StatementAccess;

// What one loaded module registered; a cs_host* points at one of these.
struct Slot {
  FakeHost* host = nullptr;
  const cs_module* desc = nullptr;
  std::string name, version, buildId;
  cs_instance* inst = nullptr;
  void* library = nullptr;
  bool registering = false;
  bool active = false;
  bool started = false;
  std::vector<std::pair<std::string, std::string>> config;  // in insertion order

  struct Route {
    std::string method;
    Pattern pattern;
    cs_http_handler_fn fn;
    cs_http_batch_fn batch;
    void* ud;
    cs_batch_options options;
  };
  struct Sub {
    std::string pattern;
    cs_event_fn fn;
    void* ud;
    cs_event_seq_fn seqFn = nullptr;  // event_consume (ABI 1.6)
  };
  struct Timer {
    std::string name;
    uint32_t periodMs;
    cs_timer_fn fn;
    void* ud;
  };
  struct Service {
    std::string name;
    uint32_t major;
    cs_service_fn fn;
    void* ud;
  };
  struct Command {
    std::string name, help;
    cs_admin_fn fn;
    void* ud;
  };
  struct Migration {
    int64_t version;
    std::string name, sql;
  };
  struct Channel {
    std::string pattern;
    cs_channel_handlers handlers;
    void* ud;
  };
  std::deque<Route> routes;
  std::vector<Sub> subs;
  std::vector<Timer> timers;
  std::vector<Service> services;
  std::vector<Command> commands;
  std::vector<Migration> migrations;
  access::Declaration data;  // tables owned, contracts published and used (ABI 1.4)
  std::vector<Channel> channels;
  cs_socket_connect_fn connectFn = nullptr;
  void* connectUd = nullptr;
  std::map<std::string, int> metricKinds;  // 1 gauge, 2 histogram
};

inline Slot* slot(cs_host* h) { return reinterpret_cast<Slot*>(h); }
inline cs_host* handle(Slot* s) { return reinterpret_cast<cs_host*>(s); }

}  // namespace detail

class FakeHost {
 public:
  FakeHost() {
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("FakeHost: cannot open an in-memory SQLite database: " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    // The host's event log, readable through the read contract "host.events" v2 (the host
    // stores a transaction's events in one row; here every row holds one).
    sqlite3_exec(db_,
                 "CREATE TABLE codestats_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, "
                 "producer TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL, "
                 "events INTEGER NOT NULL DEFAULT 1)",
                 nullptr, nullptr, nullptr);
    sqlite3_set_authorizer(db_, &FakeHost::authorize, this);
    for (const char* t : {"codestats_migrations", "codestats_table_owners", "codestats_read_contracts"})
      rules_.owners[t] = "host";
    declareContract("host.events", 2, {"codestats_events"});
    facts_ = {{"host.secret_key_base", std::string(64, 'k')}, {"host.instance_id", "fakehost"}};
    buildApi();
  }
  ~FakeHost() {
    while (!slots_.empty()) unload(slots_.back()->name);
    sqlite3_close(db_);
    if (!varDir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(varDir_, ec);
    }
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // ---- setup ------------------------------------------------------------------------------
  // A module config key (modules.<name>.<key> in the host config) for the NEXT load().
  FakeHost& config(std::string key, std::string value) {
    pendingConfig_.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  // The read-only host facts: "host.secret_key_base", "host.var_dir" (a temporary directory
  // made on first use and removed with the FakeHost), "host.instance_id".
  FakeHost& fact(std::string key, std::string value) {
    facts_[std::move(key)] = std::move(value);
    return *this;
  }
  // Lowest log level the module sees as enabled (log_enabled); default CS_LOG_TRACE.
  FakeHost& logLevel(int level) {
    logLevel_ = level;
    return *this;
  }
  // Also print every log line to stderr.
  FakeHost& echoLogs(bool on = true) {
    echo_ = on;
    return *this;
  }
  FakeHost& remoteAddr(std::string addr) {
    remote_ = std::move(addr);
    return *this;
  }
  FakeHost& draining(bool on) {
    draining_ = on;
    return *this;
  }

  // The host table the module gets (ABI 1.4, every field set).
  const cs_host_api& api() const { return api_; }

  // ---- loading ----------------------------------------------------------------------------
  // Loads a module as the host does: entry(CS_ABI_MAJOR, CS_ABI_MINOR), descriptor checks,
  // create() (registrations open), the ownership load checks, migrations, start(). Throws
  // LoadError when any step refuses; the module is then destroyed. Returns the module name.
  std::string load(cs_module_entry_fn entry) {
    if (!entry) throw LoadError("no entry function");
    return load(entry(CS_ABI_MAJOR, CS_ABI_MINOR));
  }
  std::string load(const cs_module* desc) { return loadDescriptor(desc, nullptr); }
  // dlopen()s a built module (RTLD_NOW | RTLD_LOCAL) and loads it through cs_module_entry_v1.
  std::string loadLibrary(const std::string& path) {
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = dlerror();
      throw LoadError("dlopen " + path + ": " + (e ? e : "failed"));
    }
    auto entry = reinterpret_cast<cs_module_entry_fn>(dlsym(lib, CS_MODULE_ENTRY_SYMBOL));
    if (!entry) {
      dlclose(lib);
      throw LoadError(path + " does not export " CS_MODULE_ENTRY_SYMBOL);
    }
    return loadDescriptor(entry(CS_ABI_MAJOR, CS_ABI_MINOR), lib);
  }
  // Loads a codestats::Module subclass through the SDK's own trampolines (the code that
  // CODESTATS_MODULE generates), without an entry symbol: handy for several modules, or test
  // doubles of other modules, in one test program.
  template <typename T>
  std::string load(std::string name, std::string version = "0.0.0", uint32_t stateSchema = 1) {
    using Tr = ::codestats::detail::Trampolines<T>;
    names_.push_back(std::move(name));
    names_.push_back(std::move(version));
    const char* n = names_[names_.size() - 2].c_str();
    const char* v = names_.back().c_str();
    descriptors_.push_back(cs_module{sizeof(cs_module), CS_ABI_MAJOR, CS_ABI_MINOR, n, v, "test", stateSchema,
                                     &Tr::create, &Tr::start, &Tr::stop, &Tr::exportState, &Tr::importState,
                                     &Tr::destroy});
    return load(&descriptors_.back());
  }
  // stop(), destroy(), and the module's registrations are gone (its tables and KV stay).
  void unload(std::string_view name) {
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](const auto& s) { return s->name == name; });
    if (it == slots_.end()) throw std::invalid_argument("FakeHost::unload: no module " + std::string(name));
    std::unique_ptr<detail::Slot> s = std::move(*it);
    slots_.erase(it);
    rules_.inUse.erase(s->name);
    s->active = false;
    if (s->started && s->desc->stop) {
      detail::Buf err;
      cs_status rc = s->desc->stop(s->inst, errBuf(err));
      if (rc != CS_OK) log(s.get(), CS_LOG_ERROR, "stop failed: " + err.data);
    }
    destroy(std::move(s));
  }
  bool loaded(std::string_view name) const { return find(name) != nullptr; }

  // ---- HTTP -------------------------------------------------------------------------------
  HttpResponse request(std::string method, std::string target, std::string body = {}, Headers headers = {}) {
    HttpRequest r{std::move(method), std::move(target), std::move(body), std::move(headers)};
    Depth d(*this);
    return handle(r);
  }
  HttpResponse request(const HttpRequest& r) {
    Depth d(*this);
    return handle(r);
  }
  // Hands every request to its batch route in ONE call (all must reach the same batch route;
  // std::invalid_argument otherwise). responses[i] answers requests[i].
  std::vector<HttpResponse> requestBatch(const std::vector<HttpRequest>& requests) {
    Depth d(*this);
    std::vector<detail::Req> reqs(requests.size());
    std::vector<detail::Resp> resps(requests.size());
    const detail::Slot::Route* route = nullptr;
    detail::Slot* owner = nullptr;
    for (size_t i = 0; i < requests.size(); ++i) {
      int status = 0;
      std::string allow;
      detail::Slot* s = nullptr;
      const detail::Slot::Route* r = prepare(requests[i], reqs[i], status, allow, s);
      if (!r || !r->batch || (route && r != route))
        throw std::invalid_argument("FakeHost::requestBatch: request " + std::to_string(i) + " (" + requests[i].method +
                                    " " + requests[i].target + ") does not reach the same batch route");
      route = r;
      owner = s;
    }
    std::vector<HttpResponse> out(requests.size());
    if (!route) return out;
    std::vector<const cs_http_req*> rp;
    std::vector<cs_http_resp*> sp;
    for (size_t i = 0; i < reqs.size(); ++i) {
      rp.push_back(reinterpret_cast<const cs_http_req*>(&reqs[i]));
      sp.push_back(reinterpret_cast<cs_http_resp*>(&resps[i]));
    }
    detail::Buf err;
    cs_status rc = route->batch(route->ud, rp.data(), sp.data(), rp.size(), errBuf(err));
    for (size_t i = 0; i < reqs.size(); ++i)
      out[i] = rc != CS_OK       ? failure(owner, reqs[i], rc, err.data)
               : resps[i].failed ? failure(owner, reqs[i], CS_E_MODULE, resps[i].failure)
                                 : finish(reqs[i], resps[i]);
    return out;
  }

  // ---- events, services, commands, timers, tasks -------------------------------------------
  // Delivers to every matching subscription now, in load order; the first failure is returned.
  // Like the host, the event is appended to the log (codestats_events) first: its sequence
  // number is the one event_consume handlers see.
  Outcome publish(std::string_view topic, std::string_view payloadJson) {
    Depth d(*this);
    Outcome out;
    const uint64_t seq = appendToLog("test", topic, payloadJson);
    for (auto& s : slots_)
      for (auto& sub : s->subs)
        if (detail::topicMatches(sub.pattern, topic)) {
          Outcome o = deliver(s.get(), sub, seq, std::string(topic), std::string(payloadJson));
          if (!o.ok() && out.ok()) out = o;
        }
    return out;
  }
  // Calls a service as another module would (a loaded module's, else a test double's).
  // CS_E_UNAVAILABLE when nobody provides name@major.
  Outcome call(std::string_view service, uint32_t major, std::string_view method, std::string_view requestJson) {
    Depth d(*this);
    Outcome out;
    detail::Buf o, e;
    out.status = callService(service, major, method, requestJson, o, e);
    out.output = o.data;
    out.error = e.data;
    return out;
  }
  // A test double for a service the module calls (another module's, e.g. "ingest", 1).
  // The handler returns the response JSON; codestats::Error(code, msg) makes the call fail.
  FakeHost& provide(std::string service, uint32_t major,
                    std::function<std::string(std::string_view method, std::string_view requestJson)> fn) {
    doubles_.push_back({std::move(service), major, std::move(fn)});
    return *this;
  }
  // "<module>.<name>" or "<name>"; CS_E_NOT_FOUND when no such command.
  Outcome runCommand(std::string_view name, const std::vector<std::string>& args = {}) {
    Depth d(*this);
    for (auto& s : slots_)
      for (auto& c : s->commands)
        if (c.name == name || c.name == s->name + "." + std::string(name)) {
          std::vector<cs_str> argv;
          for (const auto& a : args) argv.push_back(detail::cs(a));
          detail::Buf o, e;
          Outcome out;
          out.status = c.fn(c.ud, argv.data(), argv.size(), outBuf(o), errBuf(e));
          out.output = o.data;
          out.error = e.data;
          return out;
        }
    return Outcome{CS_E_NOT_FOUND, {}, "no command " + std::string(name)};
  }
  // Runs the timer once (its name as registered; the first module's when several share it).
  Outcome tick(std::string_view name) {
    Depth d(*this);
    for (auto& s : slots_)
      for (auto& t : s->timers)
        if (t.name == name) {
          detail::Buf e;
          Outcome out;
          out.status = t.fn(t.ud, errBuf(e));
          out.error = e.data;
          if (!out.ok()) noteFailure(s.get(), "timer " + t.name + " failed: " + e.data);
          return out;
        }
    return Outcome{CS_E_NOT_FOUND, {}, "no timer " + std::string(name)};
  }
  // Timers registered by the loaded modules: name and period.
  std::vector<std::pair<std::string, uint32_t>> timers() const {
    std::vector<std::pair<std::string, uint32_t>> out;
    for (const auto& s : slots_)
      for (const auto& t : s->timers) out.emplace_back(t.name, t.periodMs);
    return out;
  }
  // Runs queued tasks and event deliveries now (they also run when each outermost FakeHost
  // call returns). Returns how many ran.
  size_t runPending() {
    size_t ran = 0;
    ++depth_;
    while (!queued_.empty() || !tasks_.empty()) {
      if (!queued_.empty()) {
        Delivery dl = std::move(queued_.front());
        queued_.pop_front();
        for (auto& sub : dl.slot->subs)
          if (detail::topicMatches(sub.pattern, dl.topic)) deliver(dl.slot, sub, dl.seq, dl.topic, dl.payload);
      } else {
        Task t = tasks_.front();
        tasks_.pop_front();
        detail::Buf e;
        cs_status rc = t.fn(t.ud, errBuf(e));
        if (rc != CS_OK) noteFailure(t.slot, "background task failed: " + e.data);
      }
      ++ran;
    }
    --depth_;
    return ran;
  }
  const std::vector<Event>& published() const { return published_; }
  void clearPublished() { published_.clear(); }

  // ---- channels (ABI 1.1) -------------------------------------------------------------------
  // The module's socket-connect handler: output = identity; CS_E_REFUSED refuses. Without a
  // handler every socket is anonymous ("").
  Outcome connectSocket(std::string_view query, std::string_view remote = "127.0.0.1") {
    Depth d(*this);
    for (auto& s : slots_)
      if (s->connectFn) {
        detail::Buf id, e;
        std::string q(query), r(remote);
        Outcome out;
        out.status = s->connectFn(s->connectUd, detail::cs(q), detail::cs(r), outBuf(id), errBuf(e));
        out.output = id.data;
        out.error = e.data;
        return out;
      }
    return Outcome{};
  }
  // A join of topic by connection conn: output = the reply's response JSON.
  Outcome join(uint64_t conn, std::string topic, std::string payloadJson = "{}", std::string identity = "") {
    Depth d(*this);
    for (auto& s : slots_)
      for (auto& c : s->channels)
        if (detail::channelMatches(c.pattern, topic)) {
          detail::Buf reply, assigns, e;
          Outcome out;
          out.status = c.handlers.on_join(c.ud, conn, detail::cs(topic), detail::cs(payloadJson), detail::cs(identity),
                                          outBuf(reply), outBuf(assigns), errBuf(e));
          out.output = reply.data;
          out.error = e.data;
          if (out.ok()) {
            leaveQuietly(conn, topic);
            joins_.push_back(Join{s.get(), &c, conn, topic, identity, assigns.data});
          }
          return out;
        }
    return Outcome{CS_E_NOT_FOUND, {}, "no channel handles " + topic};
  }
  // A client push on a joined topic.
  Outcome channelEvent(uint64_t conn, const std::string& topic, std::string event, std::string payloadJson = "{}") {
    Depth d(*this);
    Join* j = joined(conn, topic);
    if (!j) return Outcome{CS_E_NOT_FOUND, {}, "connection is not joined to " + topic};
    if (!j->channel->handlers.on_event) return Outcome{CS_E_NOT_FOUND, {}, "the channel takes no events"};
    detail::Buf reply, e;
    Outcome out;
    out.status = j->channel->handlers.on_event(j->channel->ud, conn, detail::cs(topic), detail::cs(event),
                                               detail::cs(payloadJson), detail::cs(j->identity), detail::cs(j->assigns),
                                               outBuf(reply), errBuf(e));
    out.output = reply.data;
    out.error = e.data;
    return out;
  }
  void leave(uint64_t conn, const std::string& topic) {
    Depth d(*this);
    leaveQuietly(conn, topic);
  }
  const std::vector<ChannelMessage>& broadcasts() const { return broadcasts_; }
  const std::vector<ChannelMessage>& pushes() const { return pushes_; }

  // ---- KV, metrics, logs --------------------------------------------------------------------
  // The KV of a module (default: the only or first loaded module; "" when none is loaded).
  std::optional<std::string> kvGet(std::string_view key, std::string_view module = {}) {
    auto* m = kvMap(module);
    auto it = m->find(std::string(key));
    if (it == m->end() || expired(it->second)) return std::nullopt;
    return it->second.value;
  }
  void kvPut(std::string_view key, std::string_view value, std::string_view module = {}) {
    (*kvMap(module))[std::string(key)] = KvEntry{std::string(value), 0};
  }
  // Moves the fake clock that KV TTLs expire against.
  void advanceClock(int64_t ms) { nowMs_ += ms; }
  int64_t counter(std::string_view name, std::string_view module = {}) const {
    auto it = counters_.find(metricKey(module, name));
    return it == counters_.end() ? 0 : it->second;
  }
  std::optional<double> gauge(std::string_view name, std::string_view module = {}) const {
    auto it = gauges_.find(metricKey(module, name));
    if (it == gauges_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<double> observations(std::string_view name, std::string_view module = {}) const {
    auto it = histograms_.find(metricKey(module, name));
    return it == histograms_.end() ? std::vector<double>() : it->second;
  }
  const std::vector<LogLine>& logs() const { return logs_; }
  // True when a line at level >= minLevel contains text.
  bool logged(std::string_view text, int minLevel = CS_LOG_TRACE) const {
    return std::any_of(logs_.begin(), logs_.end(), [&](const LogLine& l) {
      return l.level >= minLevel && l.message.find(text) != std::string::npos;
    });
  }
  // The last failure of a module callback (handler, event, timer, task), for diagnostics.
  const std::string& lastError() const { return lastError_; }

  // ---- database -----------------------------------------------------------------------------
  sqlite3* db() const { return db_; }
  // Runs one statement as the test (not checked against ownership): fixtures and assertions.
  // Throws std::runtime_error on an error.
  Result sql(std::string_view statement, std::initializer_list<Param> params = {}) {
    std::vector<cs_value> values;
    for (const auto& p : params) values.push_back(p.raw());
    detail::Rows rows;
    std::string err;
    cs_status rc = runStatement(nullptr, statement, values.data(), values.size(), rows, err);
    if (rc != CS_OK) throw std::runtime_error("FakeHost::sql: " + err);
    Result r;
    r.columns = rows.columns;
    r.affected = rows.affected;
    for (size_t i = 0; i < rows.count(); ++i)
      r.rows.emplace_back(rows.cells.begin() + static_cast<long>(i * rows.columns.size()),
                          rows.cells.begin() + static_cast<long>((i + 1) * rows.columns.size()));
    return r;
  }
  // Declares a read contract of a module that is not loaded (e.g. "web.accounts" v1 with
  // {"users", "machines"}): its tables become owned by "web" and readable by modules that
  // use the contract. Create the tables themselves with sql().
  FakeHost& declareContract(const std::string& contract, uint32_t version, std::vector<std::string> tables) {
    const std::string owner = contract.substr(0, contract.find('.'));
    for (const auto& t : tables) rules_.owners.emplace(t, owner);
    rules_.contracts[{contract, version}] = access::Rules::Published{owner, std::move(tables)};
    return *this;
  }
  // Declares that a table belongs to a module that is not loaded (in no contract).
  FakeHost& declareTable(const std::string& table, const std::string& owner) {
    rules_.owners[table] = owner;
    return *this;
  }
  std::optional<std::string> ownerOf(const std::string& table) const {
    auto it = rules_.owners.find(table);
    if (it == rules_.owners.end()) return std::nullopt;
    return it->second;
  }
  // Migration versions applied for a module, in order.
  std::vector<int64_t> appliedMigrations(std::string_view module) const {
    std::vector<int64_t> out;
    for (const auto& [m, v] : applied_)
      if (m == module) out.push_back(v);
    return out;
  }

 private:
  struct KvEntry {
    std::string value;
    int64_t expiresAt;  // 0 = never
  };
  struct Double {
    std::string name;
    uint32_t major;
    std::function<std::string(std::string_view, std::string_view)> fn;
  };
  struct Task {
    detail::Slot* slot;
    cs_task_fn fn;
    void* ud;
  };
  struct Delivery {
    detail::Slot* slot;
    uint64_t seq;
    std::string topic, payload;
  };
  struct Join {
    detail::Slot* slot;
    detail::Slot::Channel* channel;
    uint64_t conn;
    std::string topic, identity, assigns;
  };
  // The outermost call runs what the module queued (events, tasks) when it returns.
  struct Depth {
    FakeHost& h;
    explicit Depth(FakeHost& host) : h(host) { ++h.depth_; }
    ~Depth() {
      if (--h.depth_ == 0) h.runPending();
    }
  };

  static cs_buf* errBuf(detail::Buf& b) { return reinterpret_cast<cs_buf*>(&b); }
  static cs_buf* outBuf(detail::Buf& b) { return reinterpret_cast<cs_buf*>(&b); }
  static FakeHost& self(cs_host* h) { return *detail::slot(h)->host; }
  static bool open(cs_host* h) { return h && detail::slot(h)->registering; }

  detail::Slot* find(std::string_view name) const {
    for (const auto& s : slots_)
      if (s->name == name) return s.get();
    return nullptr;
  }
  std::string defaultModule(std::string_view module) const {
    if (!module.empty()) return std::string(module);
    return slots_.empty() ? std::string() : slots_.front()->name;
  }
  std::string metricKey(std::string_view module, std::string_view name) const {
    return defaultModule(module) + "\n" + std::string(name);
  }
  std::map<std::string, KvEntry>* kvMap(std::string_view module) { return &kv_[defaultModule(module)]; }
  bool expired(const KvEntry& e) const { return e.expiresAt != 0 && e.expiresAt <= nowMs_; }

  void log(const detail::Slot* s, int level, std::string message) {
    if (echo_) std::fprintf(stderr, "[%s@%s] %s\n", s->name.c_str(), s->version.c_str(), message.c_str());
    logs_.push_back(LogLine{level, s->name, std::move(message)});
  }
  void noteFailure(const detail::Slot* s, std::string message) {
    lastError_ = message;
    log(s, CS_LOG_ERROR, std::move(message));
  }

  // ---- loading ----
  // Runs the module's queued tasks (in the host a task holds a lease, so it runs before the
  // generation goes; the SDK's task also frees itself when it runs), destroys the instance and
  // drops the event deliveries and joins queued for it.
  void destroy(std::unique_ptr<detail::Slot> s) {
    detail::Slot* p = s.get();
    ++depth_;
    for (auto it = tasks_.begin(); it != tasks_.end();) {
      if (it->slot != p) {
        ++it;
        continue;
      }
      Task t = *it;
      tasks_.erase(it);
      detail::Buf e;
      if (t.fn(t.ud, errBuf(e)) != CS_OK) noteFailure(p, "background task failed: " + e.data);
      it = tasks_.begin();  // a task may have queued more
    }
    --depth_;
    if (s->inst) s->desc->destroy(s->inst);
    s->inst = nullptr;
    queued_.erase(std::remove_if(queued_.begin(), queued_.end(), [&](const Delivery& d) { return d.slot == p; }),
                  queued_.end());
    joins_.erase(std::remove_if(joins_.begin(), joins_.end(), [&](const Join& j) { return j.slot == p; }),
                 joins_.end());
    if (s->library) dlclose(s->library);
  }
  std::string loadDescriptor(const cs_module* desc, void* library) {
    auto refuse = [&](const std::string& why) -> LoadError {
      if (library) dlclose(library);
      pendingConfig_.clear();
      return LoadError(why);
    };
    if (!desc) throw refuse("the entry function returned no descriptor");
    if (desc->struct_size < sizeof(cs_module)) throw refuse("the module descriptor is too small");
    if (desc->abi_major != CS_ABI_MAJOR)
      throw refuse("module ABI major " + std::to_string(desc->abi_major) + " != host ABI major " +
                   std::to_string(CS_ABI_MAJOR));
    if (desc->abi_minor > CS_ABI_MINOR)
      throw refuse("module ABI 1." + std::to_string(desc->abi_minor) + " is newer than host ABI 1." +
                   std::to_string(CS_ABI_MINOR));
    if (!desc->create || !desc->destroy) throw refuse("the descriptor lacks create or destroy");
    std::string name = desc->name ? desc->name : "";
    if (!detail::moduleName(name)) throw refuse("invalid module name '" + name + "'");
    if (find(name)) throw refuse("module " + name + " is already loaded");

    auto owned = std::make_unique<detail::Slot>();
    detail::Slot* s = owned.get();
    s->host = this;
    s->desc = desc;
    s->name = name;
    s->version = desc->version ? desc->version : "";
    s->buildId = desc->build_id ? desc->build_id : "";
    s->library = library;
    s->data.checked = desc->abi_minor >= 4;
    s->config = std::move(pendingConfig_);
    pendingConfig_.clear();
    slots_.push_back(std::move(owned));

    auto fail = [&](const std::string& why) -> LoadError {
      auto it = std::find_if(slots_.begin(), slots_.end(), [&](const auto& p) { return p.get() == s; });
      std::unique_ptr<detail::Slot> gone = std::move(*it);
      slots_.erase(it);
      destroy(std::move(gone));
      return LoadError("load of " + name + " refused: " + why);
    };

    Depth d(*this);
    detail::Buf err;
    s->registering = true;
    cs_status rc = desc->create(&api_, detail::handle(s), &s->inst, errBuf(err));
    s->registering = false;
    if (rc != CS_OK) throw fail("create failed (status " + std::to_string(rc) + "): " + err.data);
    if (!s->inst) throw fail("create returned no instance");

    std::string why = rules_.checkLoad(s->name, s->data);
    if (!why.empty()) throw fail(why);
    std::sort(s->migrations.begin(), s->migrations.end(),
              [](const auto& a, const auto& b) { return a.version < b.version; });
    for (const auto& m : s->migrations) {
      if (applied_.count({s->name, m.version})) continue;
      why = migrate(*s, m);
      if (!why.empty()) throw fail("migration " + std::to_string(m.version) + " (" + m.name + "): " + why);
      applied_.insert({s->name, m.version});
    }
    rules_.record(s->name, s->data);
    rules_.inUse[s->name] = s->data.uses;
    if (desc->start) {
      err.data.clear();
      rc = desc->start(s->inst, errBuf(err));
      if (rc != CS_OK) throw fail("start failed (status " + std::to_string(rc) + "): " + err.data);
    }
    s->started = true;
    s->active = true;
    return name;
  }

  // One migration, statement by statement, checked, in one transaction; "" when it applied.
  std::string migrate(const detail::Slot& s, const detail::Slot::Migration& m) {
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return sqlite3_errmsg(db_);
    std::string why;
    const char* pos = m.sql.data();
    const char* end = m.sql.data() + m.sql.size();
    while (pos < end && why.empty()) {
      detail::Access access;
      sqlite3_stmt* st = nullptr;
      const char* tail = nullptr;
      collecting_ = &access;
      int rc = sqlite3_prepare_v2(db_, pos, static_cast<int>(end - pos), &st, &tail);
      collecting_ = nullptr;
      pos = tail ? tail : end;
      if (rc != SQLITE_OK) {
        why = sqlite3_errmsg(db_);
      } else if (st) {
        why = denial(s, access);
        if (why.empty()) {
          while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
          }
          if (rc != SQLITE_DONE) why = sqlite3_errmsg(db_);
        }
      }
      sqlite3_finalize(st);
    }
    sqlite3_exec(db_, why.empty() ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
    return why;
  }

  // ---- the ownership check (docs/data-ownership.md) ----
  // Appends to codestats_events as the host (no module check) and returns the sequence number.
  uint64_t appendToLog(std::string_view producer, std::string_view topic, std::string_view payload) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_,
                       "INSERT INTO codestats_events (topic, producer, payload, created_at) "
                       "VALUES (?1, ?2, ?3, CAST(strftime('%s','now') AS INTEGER) * 1000)",
                       -1, &st, nullptr);
    sqlite3_bind_text(st, 1, topic.data(), static_cast<int>(topic.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, producer.data(), static_cast<int>(producer.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
      throw std::runtime_error(std::string("FakeHost: appending an event: ") + sqlite3_errmsg(db_));
    return static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
  }
  // Queues the delivery of a logged event to every active subscriber, like the host's consumers.
  void queueEvent(const std::string& producer, uint64_t seq, std::string_view topic, std::string_view payload) {
    published_.push_back(Event{producer, std::string(topic), std::string(payload), seq});
    for (auto& s : slots_) {
      if (!s->active) continue;
      bool wants = false;
      for (const auto& sub : s->subs) wants = wants || detail::topicMatches(sub.pattern, topic);
      if (wants) queued_.push_back(Delivery{s.get(), seq, std::string(topic), std::string(payload)});
    }
  }
  static int authorize(void* ud, int action, const char* a, const char* b, const char*, const char*) {
    auto* h = static_cast<FakeHost*>(ud);
    if (h->collecting_) access::noteSqliteAction(*h->collecting_, action, a, b);
    return SQLITE_OK;
  }
  // "" when the statement is allowed (the host's rules, codestats/table_access.hpp).
  std::string denial(const detail::Slot& s, const detail::Access& access) const {
    return rules_.denial(s.name, s.data, access);
  }

  // ---- statements ----
  static int placeholderNumber(const char* name) {
    if (!name || name[0] != '$' || name[1] < '1' || name[1] > '9') return 0;
    int n = 0;
    for (const char* p = name + 1; *p; ++p) {
      if (*p < '0' || *p > '9' || n > 100000) return 0;
      n = n * 10 + (*p - '0');
    }
    return n;
  }
  // Prepares, checks (when s is a checked module), binds and runs one statement.
  cs_status runStatement(const detail::Slot* s, std::string_view sql, const cs_value* params, size_t n,
                         detail::Rows& out, std::string& err) {
    if (n > 0 && !params) {
      err = "parameters missing";
      return CS_E_INVALID;
    }
    detail::Access access;
    sqlite3_stmt* st = nullptr;
    const char* tail = nullptr;
    collecting_ = &access;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, &tail);
    collecting_ = nullptr;
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(st, &sqlite3_finalize);
    if (rc != SQLITE_OK) {
      err = std::string(sql) + ": " + sqlite3_errmsg(db_);
      return CS_E_DB;
    }
    if (!st) {
      err = "empty SQL statement";
      return CS_E_DB;
    }
    const char* end = sql.data() + sql.size();
    while (tail && tail < end) {
      sqlite3_stmt* extra = nullptr;
      const char* next = nullptr;
      rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &extra, &next);
      sqlite3_finalize(extra);
      if (!extra && rc == SQLITE_OK) break;
      err = "several SQL statements in one query (use a migration)";
      return CS_E_DB;
    }
    if (s) {
      std::string why = denial(*s, access);
      if (!why.empty()) {
        err = why;
        return CS_E_DENIED;
      }
      if (tx_ && !inTxCall_ && !sqlite3_stmt_readonly(st)) {
        err =
            "a write with tx == NULL inside db_transaction: the host would run it on another connection and "
            "wait for the writer this transaction holds; pass the cs_tx";
        return CS_E_STATE;
      }
    }
    static const char kEmpty[] = "";
    for (int j = 1, count = sqlite3_bind_parameter_count(st); j <= count; ++j) {
      const char* pname = sqlite3_bind_parameter_name(st, j);
      int number = placeholderNumber(pname);
      if (number == 0) {
        std::string shown = pname ? pname : "?";
        err = "unsupported placeholder '" + shown + "'" +
              (shown.find("::") != std::string::npos ? "; write CAST($N AS type) instead of $N::type"
                                                     : "; use $1..$N on both backends");
        return CS_E_DB;
      }
      if (static_cast<size_t>(number) > n) {
        err = "SQL uses $" + std::to_string(number) + " but only " + std::to_string(n) + " parameters were given";
        return CS_E_DB;
      }
      const cs_value& v = params[number - 1];
      const char* ptr = v.s.ptr ? v.s.ptr : kEmpty;
      switch (v.type) {
        case CS_VAL_NULL: rc = sqlite3_bind_null(st, j); break;
        case CS_VAL_INT: rc = sqlite3_bind_int64(st, j, v.i); break;
        case CS_VAL_REAL: rc = sqlite3_bind_double(st, j, v.d); break;
        case CS_VAL_TEXT: rc = sqlite3_bind_text64(st, j, ptr, v.s.len, SQLITE_TRANSIENT, SQLITE_UTF8); break;
        case CS_VAL_BLOB: rc = sqlite3_bind_blob64(st, j, ptr, v.s.len, SQLITE_TRANSIENT); break;
        default:
          err = "parameter $" + std::to_string(number) + " has unknown type " + std::to_string(v.type);
          return CS_E_INVALID;
      }
      if (rc != SQLITE_OK) {
        err = "binding $" + std::to_string(number) + ": " + sqlite3_errmsg(db_);
        return CS_E_DB;
      }
    }
    const sqlite3_int64 before = sqlite3_total_changes64(db_);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
      for (int c = 0, cols = sqlite3_column_count(st); c < cols; ++c) {
        const char* cn = sqlite3_column_name(st, c);
        out.columns.emplace_back(cn ? cn : "");
      }
    while (rc == SQLITE_ROW) {
      for (int c = 0; c < static_cast<int>(out.columns.size()); ++c) {
        Value& v = out.cells.emplace_back();
        switch (sqlite3_column_type(st, c)) {
          case SQLITE_INTEGER:
            v.type = CS_VAL_INT;
            v.i = sqlite3_column_int64(st, c);
            break;
          case SQLITE_FLOAT:
            v.type = CS_VAL_REAL;
            v.d = sqlite3_column_double(st, c);
            break;
          case SQLITE_TEXT: {
            v.type = CS_VAL_TEXT;
            auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
            if (t) v.s.assign(t, static_cast<size_t>(sqlite3_column_bytes(st, c)));
            break;
          }
          case SQLITE_BLOB: {
            v.type = CS_VAL_BLOB;
            auto* b = static_cast<const char*>(sqlite3_column_blob(st, c));
            if (b) v.s.assign(b, static_cast<size_t>(sqlite3_column_bytes(st, c)));
            break;
          }
          default: break;
        }
      }
      rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE) {
      int ext = sqlite3_extended_errcode(db_);
      err = sqlite3_errmsg(db_);
      return ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY ? CS_E_CONFLICT : CS_E_DB;
    }
    if (sqlite3_total_changes64(db_) != before) out.affected = sqlite3_changes64(db_);
    return CS_OK;
  }

  // ---- HTTP ----
  // Fills req from r and finds its route; nullptr with status (and allow) when none.
  const detail::Slot::Route* prepare(const HttpRequest& r, detail::Req& req, int& status, std::string& allow,
                                     detail::Slot*& owner) {
    req.method = r.method;
    for (char& c : req.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    req.target = r.target;
    req.body = r.body;
    req.headers = r.headers;
    req.remote = remote_;
    req.id = "fake-" + std::to_string(++requests_);
    if (r.target.empty() || r.target.front() != '/') {
      status = 400;
      return nullptr;
    }
    size_t q = r.target.find('?');
    std::string path = r.target.substr(0, q);
    size_t hash = path.find('#');
    if (hash != std::string::npos) path.resize(hash);
    if (q != std::string::npos) req.query = r.target.substr(q + 1, r.target.find('#', q) - q - 1);
    req.path = detail::normalizePath(path);
    std::vector<std::string> parts = detail::segments(req.path);
    for (const auto& p : parts)
      if (p == "." || p == "..") {
        status = 400;
        return nullptr;
      }
    int best = -1;
    bool pathMatched = false;
    const detail::Slot::Route* found = nullptr;
    Headers params;
    for (auto& s : slots_) {
      if (!s->active) continue;
      for (const auto& route : s->routes) {
        auto score = route.pattern.match(req.path, parts, params);
        if (!score) continue;
        bool methodOk =
            route.method == "*" || route.method == req.method || (req.method == "HEAD" && route.method == "GET");
        if (!methodOk) {
          if (route.pattern.fallback()) continue;
          pathMatched = true;
          if (allow.find(route.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + route.method;
          continue;
        }
        int sc = *score * 4 + (route.method == req.method ? 2 : 0);
        if (sc > best) {
          best = sc;
          found = &route;
          owner = s.get();
          req.params = params;
        }
      }
    }
    if (found && pathMatched && found->pattern.fallback()) found = nullptr;
    if (!found) status = pathMatched ? 405 : 404;
    return found;
  }
  HttpResponse handle(const HttpRequest& r) {
    detail::Req req;
    detail::Resp resp;
    int status = 0;
    std::string allow;
    detail::Slot* owner = nullptr;
    const detail::Slot::Route* route = prepare(r, req, status, allow, owner);
    if (!route) {
      HttpResponse out;
      out.status = status;
      out.headers = {{"Content-Type", "application/json"}};
      if (status == 405) out.headers.emplace_back("Allow", allow);
      out.body = status == 404   ? R"({"error":"Not found"})"
                 : status == 405 ? R"({"error":"Method not allowed"})"
                                 : R"({"error":"Bad request"})";
      return out;
    }
    detail::Buf err;
    cs_status rc;
    auto* creq = reinterpret_cast<const cs_http_req*>(&req);
    auto* cresp = reinterpret_cast<cs_http_resp*>(&resp);
    if (route->batch) rc = route->batch(route->ud, &creq, &cresp, 1, errBuf(err));
    else rc = route->fn(route->ud, creq, cresp, errBuf(err));
    if (rc != CS_OK) return failure(owner, req, rc, err.data);
    if (resp.failed) return failure(owner, req, CS_E_MODULE, resp.failure);
    return finish(req, resp);
  }
  HttpResponse finish(const detail::Req& req, detail::Resp& resp) {
    HttpResponse out;
    out.status = resp.status;
    out.headers.emplace_back("X-Request-Id", req.id);
    for (auto& h : resp.headers) out.headers.push_back(std::move(h));
    if (req.method != "HEAD") out.body = std::move(resp.body);
    return out;
  }
  HttpResponse failure(detail::Slot* owner, const detail::Req& req, cs_status rc, const std::string& err) {
    noteFailure(owner, req.method + " " + req.path + " failed (request " + req.id +
                           "): " + (err.empty() ? "status " + std::to_string(rc) : err));
    HttpResponse out;
    out.status = 500;
    out.headers = {{"X-Request-Id", req.id}, {"Content-Type", "application/json"}};
    out.body = R"({"error":"Internal server error","request_id":")" + req.id + "\"}";
    return out;
  }

  Outcome deliver(detail::Slot* s, const detail::Slot::Sub& sub, uint64_t seq, const std::string& topic,
                  const std::string& payload) {
    detail::Buf e;
    Outcome out;
    out.status = sub.seqFn ? sub.seqFn(sub.ud, seq, detail::cs(topic), detail::cs(payload), errBuf(e))
                           : sub.fn(sub.ud, detail::cs(topic), detail::cs(payload), errBuf(e));
    out.error = e.data;
    if (!out.ok()) noteFailure(s, "event " + topic + " failed: " + e.data);
    return out;
  }

  cs_status callService(std::string_view name, uint32_t major, std::string_view method, std::string_view request,
                        detail::Buf& out, detail::Buf& err) {
    std::string m(method), r(request);
    for (auto& s : slots_) {
      if (!s->active) continue;
      for (auto& sv : s->services)
        if (sv.name == name && sv.major == major)
          return sv.fn(sv.ud, detail::cs(m), detail::cs(r), outBuf(out), errBuf(err));
    }
    for (auto& dbl : doubles_)
      if (dbl.name == name && dbl.major == major) {
        try {
          out.data += dbl.fn(m, r);
          return CS_OK;
        } catch (const Error& e) {
          err.data += e.what();
          return e.code() == CS_OK ? CS_E_MODULE : e.code();
        } catch (const std::exception& e) {
          err.data += e.what();
          return CS_E_MODULE;
        }
      }
    err.data += "no provider for " + std::string(name) + "@" + std::to_string(major);
    return CS_E_UNAVAILABLE;
  }

  Join* joined(uint64_t conn, const std::string& topic) {
    for (auto& j : joins_)
      if (j.conn == conn && j.topic == topic) return &j;
    return nullptr;
  }
  void leaveQuietly(uint64_t conn, const std::string& topic) {
    for (auto it = joins_.begin(); it != joins_.end(); ++it)
      if (it->conn == conn && it->topic == topic) {
        Join j = *it;
        joins_.erase(it);
        if (j.channel->handlers.on_leave)
          j.channel->handlers.on_leave(j.channel->ud, conn, detail::cs(j.topic), detail::cs(j.identity),
                                       detail::cs(j.assigns));
        return;
      }
  }

  // ---- the cs_host_api table ----
  void buildApi() {
    using namespace detail;
    cs_host_api& t = api_;
    t = cs_host_api{};
    t.struct_size = sizeof(cs_host_api);
    t.abi_major = CS_ABI_MAJOR;
    t.abi_minor = CS_ABI_MINOR;

    t.buf_append = [](cs_buf* b, cs_str data) -> cs_status {
      if (!b) return CS_E_INVALID;
      buf(b)->data.append(sv(data));
      return CS_OK;
    };
    t.buf_clear = [](cs_buf* b) {
      if (b) buf(b)->data.clear();
    };
    t.buf_new = []() -> cs_buf* { return reinterpret_cast<cs_buf*>(new Buf); };
    t.buf_free = [](cs_buf* b) { delete buf(b); };
    t.buf_view = [](const cs_buf* b) -> cs_str { return b ? cs(buf(b)->data) : cs_str{nullptr, 0}; };

    t.log = [](cs_host* h, int level, cs_str message) {
      if (h) self(h).log(slot(h), level, std::string(sv(message)));
    };
    t.log_enabled = [](cs_host* h, int level) -> int { return h && level >= self(h).logLevel_ ? 1 : 0; };

    t.config_get = [](cs_host* h, cs_str key, cs_str* out) -> cs_status {
      if (!h || !out) return CS_E_INVALID;
      for (const auto& [k, v] : slot(h)->config)
        if (k == sv(key)) {
          *out = cs(v);
          return CS_OK;
        }
      FakeHost& f = self(h);
      if (sv(key) == "host.var_dir" && f.varDir_.empty()) f.makeVarDir();
      if (sv(key) == "host.var_dir") {
        *out = cs(f.varDir_);
        return CS_OK;
      }
      auto it = f.facts_.find(std::string(sv(key)));
      if (it == f.facts_.end()) return CS_E_NOT_FOUND;
      *out = cs(it->second);
      return CS_OK;
    };
    t.config_key_at = [](cs_host* h, size_t index, cs_str* out) -> cs_status {
      if (!h || !out) return CS_E_INVALID;
      if (index >= slot(h)->config.size()) return CS_E_NOT_FOUND;
      *out = cs(slot(h)->config[index].first);
      return CS_OK;
    };

    t.http_route = [](cs_host* h, cs_str method, cs_str pattern, cs_http_handler_fn fn, void* ud) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!fn) return CS_E_INVALID;
      return self(h).stageRoute(slot(h), method, pattern, fn, nullptr, ud, cs_batch_options{});
    };
    t.req_method = [](const cs_http_req* r) { return cs(req(r)->method); };
    t.req_path = [](const cs_http_req* r) { return cs(req(r)->path); };
    t.req_target = [](const cs_http_req* r) { return cs(req(r)->target); };
    t.req_query = [](const cs_http_req* r) { return cs(req(r)->query); };
    t.req_body = [](const cs_http_req* r) { return cs(req(r)->body); };
    t.req_remote_addr = [](const cs_http_req* r) { return cs(req(r)->remote); };
    t.req_id = [](const cs_http_req* r) { return cs(req(r)->id); };
    t.req_header = [](const cs_http_req* r, cs_str name, size_t index, cs_str* out) -> cs_status {
      if (!r || !out) return CS_E_INVALID;
      size_t seen = 0;
      for (const auto& [k, v] : req(r)->headers)
        if (iequals(k, sv(name)) && seen++ == index) {
          *out = cs(v);
          return CS_OK;
        }
      return CS_E_NOT_FOUND;
    };
    t.req_header_at = [](const cs_http_req* r, size_t index, cs_str* name, cs_str* value) -> cs_status {
      if (!r || !name || !value) return CS_E_INVALID;
      if (index >= req(r)->headers.size()) return CS_E_NOT_FOUND;
      *name = cs(req(r)->headers[index].first);
      *value = cs(req(r)->headers[index].second);
      return CS_OK;
    };
    t.req_param = [](const cs_http_req* r, cs_str name, cs_str* out) -> cs_status {
      if (!r || !out) return CS_E_INVALID;
      for (const auto& [k, v] : req(r)->params)
        if (k == sv(name)) {
          *out = cs(v);
          return CS_OK;
        }
      return CS_E_NOT_FOUND;
    };
    t.resp_status = [](cs_http_resp* r, int code) -> cs_status {
      if (!r || code < 100 || code > 999) return CS_E_INVALID;
      resp(r)->status = code;
      return CS_OK;
    };
    t.resp_header = [](cs_http_resp* r, cs_str name, cs_str value) -> cs_status {
      if (!r || !headerName(sv(name)) || !headerValue(sv(value))) return CS_E_INVALID;
      for (auto& [k, v] : resp(r)->headers)
        if (iequals(k, sv(name))) {
          v = std::string(sv(value));
          return CS_OK;
        }
      resp(r)->headers.emplace_back(std::string(sv(name)), std::string(sv(value)));
      return CS_OK;
    };
    t.resp_add_header = [](cs_http_resp* r, cs_str name, cs_str value) -> cs_status {
      if (!r || !headerName(sv(name)) || !headerValue(sv(value))) return CS_E_INVALID;
      resp(r)->headers.emplace_back(std::string(sv(name)), std::string(sv(value)));
      return CS_OK;
    };
    t.resp_write = [](cs_http_resp* r, cs_str chunk) -> cs_status {
      if (!r) return CS_E_INVALID;
      resp(r)->body.append(sv(chunk));
      return CS_OK;
    };
    t.resp_fail = [](cs_http_resp* r, cs_str why) -> cs_status {
      if (!r) return CS_E_INVALID;
      resp(r)->failed = true;
      resp(r)->failure = sv(why).empty() ? "the module failed the response" : std::string(sv(why));
      return CS_OK;
    };

    t.db_backend = [](cs_host*) -> int { return CS_DB_SQLITE; };
    t.db_query = [](cs_host* h, cs_tx* tx, cs_str sql, const cs_value* params, size_t n, cs_rows** out,
                    cs_buf* err) -> cs_status {
      if (!h || (n && !params)) return CS_E_INVALID;
      if (out) *out = nullptr;
      FakeHost& f = self(h);
      if (tx && (reinterpret_cast<detail::Tx*>(tx) != f.tx_ || !f.tx_->open)) {
        if (err) buf(err)->data += "the transaction is not open (a cs_tx is valid inside its cs_tx_fn only)";
        return CS_E_STATE;
      }
      auto rows = std::make_unique<detail::Rows>();
      std::string msg;
      const bool savedInTx = f.inTxCall_;
      f.inTxCall_ = tx != nullptr;
      cs_status rc = f.runStatement(slot(h), sv(sql), params, n, *rows, msg);
      f.inTxCall_ = savedInTx;
      if (rc != CS_OK) {
        if (err) buf(err)->data += msg;
        return rc;
      }
      if (out) *out = reinterpret_cast<cs_rows*>(rows.release());
      return CS_OK;
    };
    t.db_transaction = [](cs_host* h, cs_tx_fn fn, void* ud, cs_buf* err) -> cs_status {
      if (!h || !fn) return CS_E_INVALID;
      FakeHost& f = self(h);
      auto fail = [&](cs_status rc, const std::string& msg) {
        if (err) buf(err)->data += msg;
        return rc;
      };
      if (f.tx_)
        return fail(CS_E_STATE, "nested db_transaction: the host would wait for the writer this transaction holds");
      if (sqlite3_exec(f.db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
        return fail(CS_E_DB, sqlite3_errmsg(f.db_));
      detail::Tx tx;
      f.tx_ = &tx;
      cs_status rc = CS_E_MODULE;
      try {
        rc = fn(ud, reinterpret_cast<cs_tx*>(&tx), err);
      } catch (...) {
        rc = CS_E_MODULE;
      }
      tx.open = false;
      f.tx_ = nullptr;
      if (rc != CS_OK) {
        sqlite3_exec(f.db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return rc;
      }
      // event_append: written to the log in the transaction, delivered after the commit.
      std::vector<uint64_t> seqs;
      for (const auto& [topic, payload] : tx.events) seqs.push_back(f.appendToLog(slot(h)->name, topic, payload));
      if (sqlite3_exec(f.db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        std::string msg = sqlite3_errmsg(f.db_);
        sqlite3_exec(f.db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return fail(CS_E_DB, msg);
      }
      for (size_t i = 0; i < seqs.size(); ++i)
        f.queueEvent(slot(h)->name, seqs[i], tx.events[i].first, tx.events[i].second);
      return CS_OK;
    };
    t.db_migration = [](cs_host* h, int64_t version, cs_str name, cs_str sqlSqlite, cs_str) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (version <= 0 || sv(name).empty()) return CS_E_INVALID;
      for (const auto& m : slot(h)->migrations)
        if (m.version == version) return CS_E_CONFLICT;
      slot(h)->migrations.push_back({version, std::string(sv(name)), std::string(sv(sqlSqlite))});
      return CS_OK;
    };
    t.rows_count = [](const cs_rows* r) -> size_t { return r ? rows(r)->count() : 0; };
    t.rows_columns = [](const cs_rows* r) -> size_t { return r ? rows(r)->columns.size() : 0; };
    t.rows_column_name = [](const cs_rows* r, size_t c) -> cs_str {
      return r && c < rows(r)->columns.size() ? cs(rows(r)->columns[c]) : cs_str{nullptr, 0};
    };
    t.rows_get = [](const cs_rows* r, size_t row, size_t col, cs_value* out) -> cs_status {
      if (!r || !out || row >= rows(r)->count() || col >= rows(r)->columns.size()) return CS_E_INVALID;
      const Value& v = rows(r)->cells[row * rows(r)->columns.size() + col];
      out->type = v.type;
      out->i = v.i;
      out->d = v.d;
      out->s = cs(v.s);
      return CS_OK;
    };
    t.rows_affected = [](const cs_rows* r) -> int64_t { return r ? rows(r)->affected : 0; };
    t.rows_free = [](cs_rows* r) { delete reinterpret_cast<detail::Rows*>(r); };

    t.kv_get = [](cs_host* h, cs_str key, cs_buf* out) -> cs_status {
      if (!h || !out) return CS_E_INVALID;
      auto& m = self(h).kv_[slot(h)->name];
      auto it = m.find(std::string(sv(key)));
      if (it == m.end() || self(h).expired(it->second)) return CS_E_NOT_FOUND;
      buf(out)->data += it->second.value;
      return CS_OK;
    };
    t.kv_put = [](cs_host* h, cs_str key, cs_str value, uint32_t ttl) -> cs_status {
      if (!h) return CS_E_INVALID;
      self(h).kv_[slot(h)->name][std::string(sv(key))] =
          KvEntry{std::string(sv(value)), ttl ? self(h).nowMs_ + ttl : 0};
      return CS_OK;
    };
    t.kv_del = [](cs_host* h, cs_str key) -> cs_status {
      if (!h) return CS_E_INVALID;
      auto& m = self(h).kv_[slot(h)->name];
      auto it = m.find(std::string(sv(key)));
      if (it == m.end()) return CS_E_NOT_FOUND;
      bool live = !self(h).expired(it->second);
      m.erase(it);
      return live ? CS_OK : CS_E_NOT_FOUND;
    };
    t.kv_incr = [](cs_host* h, cs_str key, int64_t delta, int64_t* out) -> cs_status {
      if (!h) return CS_E_INVALID;
      KvEntry& e = self(h).kv_[slot(h)->name][std::string(sv(key))];
      if (self(h).expired(e)) e = KvEntry{};
      int64_t v = 0;
      try {
        if (!e.value.empty()) v = std::stoll(e.value);
      } catch (const std::exception&) {
        v = 0;
      }
      v += delta;
      e.value = std::to_string(v);
      if (out) *out = v;
      return CS_OK;
    };

    t.event_publish = [](cs_host* h, cs_str topic, cs_str payload) -> cs_status {
      if (!h || !storableTopic(sv(topic))) return CS_E_INVALID;
      FakeHost& f = self(h);
      if (f.tx_) return CS_E_STATE;  // the host would wait for the writer this transaction holds: use event_append
      f.queueEvent(slot(h)->name, f.appendToLog(slot(h)->name, sv(topic), sv(payload)), sv(topic), sv(payload));
      return CS_OK;
    };
    t.event_append = [](cs_host* h, cs_tx* tx, cs_str topic, cs_str payload) -> cs_status {
      if (!h || !tx || !storableTopic(sv(topic))) return CS_E_INVALID;
      auto* t = reinterpret_cast<detail::Tx*>(tx);
      if (!t->open) return CS_E_STATE;
      t->events.emplace_back(std::string(sv(topic)), std::string(sv(payload)));
      return CS_OK;
    };
    t.event_consume = [](cs_host* h, cs_str pattern, cs_event_seq_fn fn, void* ud) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!fn || sv(pattern).empty()) return CS_E_INVALID;
      slot(h)->subs.push_back({std::string(sv(pattern)), nullptr, ud, fn});
      return CS_OK;
    };
    t.event_subscribe = [](cs_host* h, cs_str pattern, cs_event_fn fn, void* ud) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!fn || sv(pattern).empty()) return CS_E_INVALID;
      slot(h)->subs.push_back({std::string(sv(pattern)), fn, ud});
      return CS_OK;
    };

    t.timer_every = [](cs_host* h, cs_str name, uint32_t periodMs, cs_timer_fn fn, void* ud) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!fn || periodMs == 0) return CS_E_INVALID;
      slot(h)->timers.push_back({std::string(sv(name)), periodMs, fn, ud});
      return CS_OK;
    };
    t.task_submit = [](cs_host* h, cs_task_fn fn, void* ud) -> cs_status {
      if (!h || !fn) return CS_E_INVALID;
      self(h).tasks_.push_back(Task{slot(h), fn, ud});
      return CS_OK;
    };
    t.is_draining = [](cs_host* h) -> int { return h && self(h).draining_ ? 1 : 0; };

    t.service_provide = [](cs_host* h, cs_str name, uint32_t major, cs_service_fn fn, void* ud) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!fn || sv(name).empty()) return CS_E_INVALID;
      for (const auto& s : slot(h)->services)
        if (s.name == sv(name) && s.major == major) return CS_E_CONFLICT;
      slot(h)->services.push_back({std::string(sv(name)), major, fn, ud});
      return CS_OK;
    };
    t.service_call = [](cs_host* h, cs_str name, uint32_t major, cs_str method, cs_str request, cs_buf* out,
                        cs_buf* err) -> cs_status {
      if (!h || !out) return CS_E_INVALID;
      Buf scratch;
      return self(h).callService(sv(name), major, sv(method), sv(request), *buf(out), err ? *buf(err) : scratch);
    };

    t.admin_command = [](cs_host* h, cs_str name, cs_str help, cs_admin_fn fn, void* ud) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      std::string n(sv(name));
      if (!fn || n.empty()) return CS_E_INVALID;
      std::string prefix = slot(h)->name + ".";
      std::string full = startsWith(n, prefix) ? n : prefix + n;
      for (const auto& c : slot(h)->commands)
        if (c.name == full) return CS_E_CONFLICT;
      slot(h)->commands.push_back({full, std::string(sv(help)), fn, ud});
      return CS_OK;
    };

    t.counter_add = [](cs_host* h, cs_str name, int64_t delta) -> cs_status {
      if (!h || sv(name).empty() || delta < 0) return CS_E_INVALID;
      self(h).counters_[slot(h)->name + "\n" + std::string(sv(name))] += delta;
      return CS_OK;
    };

    t.channel_handle = [](cs_host* h, cs_str pattern, const cs_channel_handlers* handlers, void* ud) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!handlers || sv(pattern).empty() ||
          handlers->struct_size < offsetof(cs_channel_handlers, on_join) + sizeof(void*) || !handlers->on_join)
        return CS_E_INVALID;
      for (const auto& c : slot(h)->channels)
        if (c.pattern == sv(pattern)) return CS_E_CONFLICT;
      cs_channel_handlers copy{};
      std::memcpy(&copy, handlers, std::min<size_t>(handlers->struct_size, sizeof copy));
      copy.struct_size = sizeof copy;
      slot(h)->channels.push_back({std::string(sv(pattern)), copy, ud});
      return CS_OK;
    };
    t.socket_connect_handler = [](cs_host* h, cs_socket_connect_fn fn, void* ud) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!fn) return CS_E_INVALID;
      for (const auto& s : self(h).slots_)
        if (s->connectFn) return CS_E_CONFLICT;
      slot(h)->connectFn = fn;
      slot(h)->connectUd = ud;
      return CS_OK;
    };
    t.channel_broadcast = [](cs_host* h, cs_str topic, cs_str event, cs_str payload) -> cs_status {
      if (!h || sv(topic).empty() || sv(event).empty()) return CS_E_INVALID;
      self(h).broadcasts_.push_back(
          ChannelMessage{slot(h)->name, 0, std::string(sv(topic)), std::string(sv(event)), std::string(sv(payload))});
      return CS_OK;
    };
    t.channel_push = [](cs_host* h, uint64_t conn, cs_str topic, cs_str event, cs_str payload) -> cs_status {
      if (!h || sv(topic).empty() || sv(event).empty()) return CS_E_INVALID;
      if (!self(h).joined(conn, std::string(sv(topic)))) return CS_E_NOT_FOUND;
      self(h).pushes_.push_back(ChannelMessage{slot(h)->name, conn, std::string(sv(topic)), std::string(sv(event)),
                                               std::string(sv(payload))});
      return CS_OK;
    };

    t.gauge_set = [](cs_host* h, cs_str name, double value) -> cs_status {
      cs_status rc = self(h).metricCheck(slot(h), sv(name), value, 1);
      if (rc == CS_OK) self(h).gauges_[slot(h)->name + "\n" + std::string(sv(name))] = value;
      return rc;
    };
    t.histogram_observe = [](cs_host* h, cs_str name, double value) -> cs_status {
      cs_status rc = self(h).metricCheck(slot(h), sv(name), value, 2);
      if (rc == CS_OK) self(h).histograms_[slot(h)->name + "\n" + std::string(sv(name))].push_back(value);
      return rc;
    };

    t.http_batch_route = [](cs_host* h, cs_str method, cs_str pattern, cs_http_batch_fn fn, void* ud,
                            const cs_batch_options* o) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!fn || !o || o->struct_size < sizeof(cs_batch_options)) return CS_E_INVALID;
      if (o->max_batch < 1 || o->max_batch > 10000 || o->max_wait_us > 1000000 || o->max_inflight < 1 ||
          o->max_inflight > 64)
        return CS_E_INVALID;
      return self(h).stageRoute(slot(h), method, pattern, nullptr, fn, ud, *o);
    };

    t.db_own_table = [](cs_host* h, cs_str table) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!tableName(sv(table))) return CS_E_INVALID;
      if (!slot(h)->data.ownsTable(sv(table))) slot(h)->data.owns.emplace_back(sv(table));
      return CS_OK;
    };
    t.db_publish = [](cs_host* h, cs_str contract, uint32_t version, cs_str tables) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!contractName(sv(contract)) || version == 0) return CS_E_INVALID;
      access::Contract c{std::string(sv(contract)), version, splitList(sv(tables))};
      if (c.tables.empty()) return CS_E_INVALID;
      for (const auto& table : c.tables)
        if (!tableName(table)) return CS_E_INVALID;
      for (const auto& p : slot(h)->data.publishes)
        if (p.name == c.name && p.version == version) return CS_E_CONFLICT;
      slot(h)->data.publishes.push_back(std::move(c));
      return CS_OK;
    };
    t.db_use = [](cs_host* h, cs_str contract, uint32_t version) -> cs_status {
      if (!open(h)) return CS_E_STATE;
      if (!contractName(sv(contract)) || version == 0) return CS_E_INVALID;
      slot(h)->data.uses.push_back({std::string(sv(contract)), version});
      return CS_OK;
    };
  }

  cs_status stageRoute(detail::Slot* s, cs_str method, cs_str pattern, cs_http_handler_fn fn, cs_http_batch_fn batch,
                       void* ud, cs_batch_options options) {
    std::string m(detail::sv(method));
    for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (m.empty()) return CS_E_INVALID;
    auto p = detail::Pattern::parse(detail::sv(pattern));
    if (!p) return CS_E_INVALID;
    for (const auto& r : s->routes)
      if (r.method == m && r.pattern.text == p->text) return CS_E_CONFLICT;
    s->routes.push_back({std::move(m), std::move(*p), fn, batch, ud, options});
    return CS_OK;
  }
  cs_status metricCheck(detail::Slot* s, std::string_view name, double value, int kind) {
    cs_status rc = CS_OK;
    if (!detail::metricName(name) || !std::isfinite(value)) rc = CS_E_INVALID;
    else {
      auto it = s->metricKinds.emplace(std::string(name), kind).first;
      if (it->second != kind) rc = CS_E_CONFLICT;
    }
    if (rc != CS_OK) {
      counters_[s->name + "\nmetric_errors"] += 1;
      log(s, CS_LOG_DEBUG, "metric '" + std::string(name) + "' refused (status " + std::to_string(rc) + ")");
    }
    return rc;
  }
  void makeVarDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "codestats-fakehost.XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("FakeHost: mkdtemp failed");
    varDir_ = templ;
  }

  cs_host_api api_{};
  sqlite3* db_ = nullptr;
  std::vector<std::unique_ptr<detail::Slot>> slots_;
  std::vector<std::pair<std::string, std::string>> pendingConfig_;
  std::map<std::string, std::string> facts_;
  std::string varDir_;
  std::deque<std::string> names_;
  std::deque<cs_module> descriptors_;
  int logLevel_ = CS_LOG_TRACE;
  bool echo_ = false;
  bool draining_ = false;
  std::string remote_ = "127.0.0.1";
  uint64_t requests_ = 0;
  int depth_ = 0;

  detail::Access* collecting_ = nullptr;
  detail::Tx* tx_ = nullptr;
  bool inTxCall_ = false;
  access::Rules rules_;  // owners, published contracts, contracts in use
  std::set<std::pair<std::string, int64_t>> applied_;

  std::map<std::string, std::map<std::string, KvEntry>> kv_;
  int64_t nowMs_ = 1;
  std::map<std::string, int64_t> counters_;
  std::map<std::string, double> gauges_;
  std::map<std::string, std::vector<double>> histograms_;
  std::vector<LogLine> logs_;
  std::string lastError_;
  std::vector<Event> published_;
  std::deque<Delivery> queued_;
  std::deque<Task> tasks_;
  std::vector<Double> doubles_;
  std::vector<Join> joins_;
  std::vector<ChannelMessage> broadcasts_;
  std::vector<ChannelMessage> pushes_;
};

}  // namespace testing
}  // namespace codestats
