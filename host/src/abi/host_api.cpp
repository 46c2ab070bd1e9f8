// C shims behind cs_host_api. Each one translates between ABI types and the host's C++
// services and never lets an exception escape into module code.
#include "abi/host_api.hpp"

#include <Poco/String.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "abi/exchange.hpp"
#include "abi/host_services.hpp"
#include "abi/module_metric_names.hpp"
#include "db/database.hpp"
#include "db/host_statements.hpp"
#include "events/event_bus.hpp"
#include "events/event_log.hpp"
#include "http/batch_queue.hpp"
#include "runtime/generation.hpp"
#include "runtime/module_table.hpp"
#include "services/kv_store.hpp"
#include "services/metrics.hpp"
#include "services/worker_pool.hpp"
#include "util/ascii_case.hpp"
#include "ws/channel_hub.hpp"

struct cs_tx {
  codestats::host::db::Connection* conn = nullptr;
  // event_append (ABI 1.6): written to the log just before the commit
  std::vector<codestats::host::events::PendingEvent> events;
};

struct cs_rows {
  codestats::host::db::ResultSet rs;
};

namespace codestats::host {
namespace {

std::string_view sv(cs_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }
cs_str cs(std::string_view s) { return cs_str{s.data(), s.size()}; }

// Runs a shim body; any exception becomes CS_E_INVALID (or the given code) plus a message.
template <typename F>
cs_status shim(cs_buf* err, F&& fn, cs_status onError = CS_E_INVALID) noexcept {
  try {
    return fn();
  } catch (const db::DbError& e) {
    if (err) err->data += e.what();
    switch (e.kind()) {
      case db::DbError::Kind::Conflict: return CS_E_CONFLICT;
      case db::DbError::Kind::PoolTimeout: return CS_E_TIMEOUT;
      case db::DbError::Kind::Denied: return CS_E_DENIED;
      default: return CS_E_DB;
    }
  } catch (const std::exception& e) {
    if (err) err->data += e.what();
    return onError;
  } catch (...) {
    if (err) err->data += "unknown error";
    return onError;
  }
}

bool registrationOpen(cs_host* h) { return h && h->gen && h->gen->registrationOpen.load(); }

// ---- buffers ----
cs_status bufAppend(cs_buf* b, cs_str d) {
  if (!b) return CS_E_INVALID;
  return shim(nullptr, [&] {
    b->data.append(sv(d));
    return CS_OK;
  });
}
void bufClear(cs_buf* b) {
  if (b) b->data.clear();
}
cs_buf* bufNew() { return new (std::nothrow) cs_buf(); }
void bufFree(cs_buf* b) { delete b; }
cs_str bufView(const cs_buf* b) { return b ? cs(b->data) : cs_str{nullptr, 0}; }

// ---- logging ----
spdlog::level::level_enum toSpd(int level) {
  switch (level) {
    case CS_LOG_TRACE: return spdlog::level::trace;
    case CS_LOG_DEBUG: return spdlog::level::debug;
    case CS_LOG_INFO: return spdlog::level::info;
    case CS_LOG_WARN: return spdlog::level::warn;
    default: return spdlog::level::err;
  }
}
void logMsg(cs_host* h, int level, cs_str msg) {
  try {
    spdlog::log(toSpd(level), "{} {}", h && h->gen ? h->gen->logPrefix() : std::string("[module]"), sv(msg));
  } catch (...) {
  }
}
int logEnabled(cs_host*, int level) { return spdlog::should_log(toSpd(level)) ? 1 : 0; }

// ---- config ----
cs_status configGet(cs_host* h, cs_str key, cs_str* out) {
  if (!h || !h->gen || !out) return CS_E_INVALID;
  std::string_view k = sv(key);
  auto it = h->gen->config.find(std::string(k));
  if (it != h->gen->config.end()) {
    *out = cs(it->second);
    return CS_OK;
  }
  if (k == "host.secret_key_base") *out = cs(h->services->secretKeyBase);
  else if (k == "host.var_dir") *out = cs(h->services->varDir);
  else if (k == "host.instance_id") *out = cs(h->services->instanceId);
  else return CS_E_NOT_FOUND;
  return CS_OK;
}
cs_status configKeyAt(cs_host* h, size_t index, cs_str* out) {
  if (!h || !h->gen || !out) return CS_E_INVALID;
  if (index >= h->gen->configKeys.size()) return CS_E_NOT_FOUND;
  *out = cs(h->gen->configKeys[index]);
  return CS_OK;
}

// ---- HTTP ----
// Stages a route (ordinary or batch) after the checks both share.
template <typename MakeReg>
cs_status stageRoute(cs_host* h, cs_str method, cs_str pattern, MakeReg makeReg) {
  return shim(nullptr, [&] {
    std::string m = Poco::toUpper(std::string(sv(method)));
    if (m.empty()) return CS_E_INVALID;
    RoutePattern p(sv(pattern));
    for (const auto& r : h->gen->routes)
      if (r.method == m && r.pattern.text() == p.text()) return CS_E_CONFLICT;
    h->gen->routes.push_back(makeReg(std::move(m), std::move(p)));
    return CS_OK;
  });
}

cs_status httpRoute(cs_host* h, cs_str method, cs_str pattern, cs_http_handler_fn fn, void* ud) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!fn) return CS_E_INVALID;
  return stageRoute(h, method, pattern, [&](std::string m, RoutePattern p) {
    return RouteReg{m, std::move(p), fn, ud};
  });
}
// ABI 1.3: the route's requests go through a BatchQueue whose calls run on the host's
// batch workers; every item of a call holds a lease on this generation (PublicServer).
cs_status httpBatchRoute(cs_host* h, cs_str method, cs_str pattern, cs_http_batch_fn fn, void* ud,
                         const cs_batch_options* options) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!fn || !options || options->struct_size < sizeof(cs_batch_options)) return CS_E_INVALID;
  if (options->max_batch < 1 || options->max_batch > 10000 || options->max_wait_us > 1000000 ||
      options->max_inflight < 1 || options->max_inflight > 64)
    return CS_E_INVALID;
  if (!h->services->batchWorkers) return CS_E_UNAVAILABLE;
  BatchOptions o;
  o.maxBatch = options->max_batch;
  o.maxWait = std::chrono::microseconds(options->max_wait_us);
  o.maxInflight = options->max_inflight;
  auto call = [fn, ud](std::vector<BatchItem*>& items, std::string& error) {
    std::vector<const cs_http_req*> reqs;
    std::vector<cs_http_resp*> resps;
    reqs.reserve(items.size());
    resps.reserve(items.size());
    for (BatchItem* item : items) {
      reqs.push_back(&item->req);
      resps.push_back(&item->resp);
    }
    cs_buf err;
    cs_status rc = CS_E_MODULE;
    try {
      rc = fn(ud, reqs.data(), resps.data(), items.size(), &err);
    } catch (...) {
      err.data = "exception escaped the module boundary";
    }
    if (rc == CS_OK) return true;
    error = err.data.empty() ? "status " + std::to_string(rc) : err.data;
    return false;
  };
  return stageRoute(h, method, pattern, [&](std::string m, RoutePattern p) {
    RouteReg reg{std::move(m), std::move(p), nullptr, ud};
    reg.batch = std::make_shared<BatchQueue>(o, std::move(call), *h->services->batchWorkers);
    return reg;
  });
}
cs_str reqMethod(const cs_http_req* r) { return cs(r->method); }
cs_str reqPath(const cs_http_req* r) { return cs(r->path); }
cs_str reqTarget(const cs_http_req* r) { return cs(r->target); }
cs_str reqQuery(const cs_http_req* r) { return cs(r->query); }
cs_str reqBody(const cs_http_req* r) { return cs(r->body); }
cs_str reqRemote(const cs_http_req* r) { return cs(r->remoteAddr); }
cs_str reqId(const cs_http_req* r) { return cs(r->requestId); }
cs_status reqHeader(const cs_http_req* r, cs_str name, size_t index, cs_str* out) {
  if (!r || !out) return CS_E_INVALID;
  std::string_view n = sv(name);
  size_t seen = 0;
  for (const auto& [k, v] : r->headers) {
    if (!equalsIgnoringAsciiCase(k, n)) continue;
    if (seen++ == index) {
      *out = cs(v);
      return CS_OK;
    }
  }
  return CS_E_NOT_FOUND;
}
cs_status reqHeaderAt(const cs_http_req* r, size_t index, cs_str* name, cs_str* value) {
  if (!r || !name || !value) return CS_E_INVALID;
  if (index >= r->headers.size()) return CS_E_NOT_FOUND;
  const auto& [k, v] = r->headers[index];
  *name = cs(k);
  *value = cs(v);
  return CS_OK;
}
cs_status reqParam(const cs_http_req* r, cs_str name, cs_str* out) {
  if (!r || !out) return CS_E_INVALID;
  for (const auto& [k, v] : r->params)
    if (k == sv(name)) {
      *out = cs(v);
      return CS_OK;
    }
  return CS_E_NOT_FOUND;
}
cs_status respStatus(cs_http_resp* r, int code) {
  if (!r || code < 100 || code > 999) return CS_E_INVALID;
  r->status = code;
  return CS_OK;
}
bool validHeaderValue(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}
bool validHeaderName(std::string_view n) {
  return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
  });
}
cs_status respHeader(cs_http_resp* r, cs_str name, cs_str value) {
  if (!r || !validHeaderName(sv(name)) || !validHeaderValue(sv(value))) return CS_E_INVALID;
  return shim(nullptr, [&] {
    for (auto& [k, v] : r->headers)
      if (equalsIgnoringAsciiCase(k, sv(name))) {
        v = std::string(sv(value));
        return CS_OK;
      }
    r->headers.emplace_back(std::string(sv(name)), std::string(sv(value)));
    return CS_OK;
  });
}
cs_status respAddHeader(cs_http_resp* r, cs_str name, cs_str value) {
  if (!r || !validHeaderName(sv(name)) || !validHeaderValue(sv(value))) return CS_E_INVALID;
  return shim(nullptr, [&] {
    r->headers.emplace_back(std::string(sv(name)), std::string(sv(value)));
    return CS_OK;
  });
}
cs_status respWrite(cs_http_resp* r, cs_str chunk) {
  if (!r) return CS_E_INVALID;
  return shim(nullptr, [&] {
    r->body.append(sv(chunk));
    return CS_OK;
  });
}

cs_status respFail(cs_http_resp* r, cs_str why) {
  if (!r) return CS_E_INVALID;
  return shim(nullptr, [&] {
    r->failed = true;
    r->failure.assign(sv(why));
    if (r->failure.empty()) r->failure = "the module failed the response";
    return CS_OK;
  });
}

// ---- database ----
int dbBackend(cs_host* h) {
  return h->services->db->backend() == db::Backend::Postgres ? CS_DB_POSTGRES : CS_DB_SQLITE;
}
// The table-ownership check (docs/data-ownership.md): each distinct statement of a checked
// module is described once (SQLite's authorizer, PostgreSQL's EXPLAIN) and its verdict kept
// until the ownership rules change.
void checkTableAccess(cs_host* h, db::Connection& conn, std::string_view sql, const cs_value* params, size_t n) {
  Generation& gen = *h->gen;
  if (!gen.data.checked || !h->services->ownership) return;
  const db::TableOwnership& ownership = *h->services->ownership;
  const uint64_t epoch = ownership.epoch();
  std::string denial;
  if (!gen.verdicts.find(sql, epoch, denial)) {
    denial = ownership.denial(gen.module, gen.data, conn.describeAccess(sql, params, n));
    gen.verdicts.put(sql, epoch, denial);
  }
  if (!denial.empty()) throw db::DbError(db::DbError::Kind::Denied, denial);
}

cs_status dbQuery(cs_host* h, cs_tx* tx, cs_str sql, const cs_value* params, size_t n, cs_rows** out, cs_buf* err) {
  if (!h || (n && !params)) return CS_E_INVALID;
  if (out) *out = nullptr;
  return shim(err, [&] {
    db::ResultSet rs;
    if (tx) {
      checkTableAccess(h, *tx->conn, sv(sql), params, n);
      rs = tx->conn->query(sv(sql), params, n);
    } else {
      auto conn = h->services->db->acquire();
      checkTableAccess(h, *conn, sv(sql), params, n);
      rs = conn->query(sv(sql), params, n);
    }
    if (out) *out = new cs_rows{std::move(rs)};
    return CS_OK;
  });
}
cs_status dbTransaction(cs_host* h, cs_tx_fn fn, void* ud, cs_buf* err) {
  if (!h || !fn) return CS_E_INVALID;
  return shim(err, [&] {
    db::Pool& pool = *h->services->db;
    uint64_t durableAt = 0;
    bool appended = false;
    std::vector<events::LoggedEvent> numbered;  // the appended events with their numbers
    {
      auto conn = pool.acquireWriter();
      conn->begin();
      cs_tx tx{&*conn, {}};
      cs_status rc = CS_E_MODULE;
      try {
        rc = fn(ud, &tx, err);
      } catch (...) {
        rc = CS_E_MODULE;  // the SDK trampolines catch; this is the second line of defence
      }
      if (rc != CS_OK) {
        conn->rollback();
        return rc;
      }
      appended = !tx.events.empty();
      try {
        durableAt = db::finishTransaction(*conn, [&] {
          if (appended) numbered = h->services->events->appendInTransaction(*conn, std::move(tx.events));
        });
      } catch (...) {
        if (appended) h->services->events->abandoned(numbered);
        throw;
      }
    }  // the connection (SQLite: the writer) serves the next transaction while this one syncs
    pool.syncThrough(durableAt);
    if (appended) h->services->events->committed(std::move(numbered));
    return CS_OK;
  });
}
cs_status dbMigration(cs_host* h, int64_t version, cs_str name, cs_str sqlite, cs_str postgres) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (version <= 0 || sv(name).empty()) return CS_E_INVALID;
  return shim(nullptr, [&] {
    for (const auto& m : h->gen->migrations)
      if (m.version == version) return CS_E_CONFLICT;
    h->gen->migrations.push_back(
        db::Migration{version, std::string(sv(name)), std::string(sv(sqlite)), std::string(sv(postgres))});
    return CS_OK;
  });
}
// ---- table ownership (ABI 1.4) ----
cs_status dbOwnTable(cs_host* h, cs_str table) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!db::validTableName(sv(table))) return CS_E_INVALID;
  return shim(nullptr, [&] {
    if (!h->gen->data.ownsTable(sv(table))) h->gen->data.owns.emplace_back(sv(table));
    return CS_OK;
  });
}
cs_status dbPublish(cs_host* h, cs_str contract, uint32_t version, cs_str tables) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!db::validContractName(sv(contract)) || version == 0) return CS_E_INVALID;
  return shim(nullptr, [&] {
    db::Contract c{std::string(sv(contract)), version, {}};
    std::string_view list = sv(tables);
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view t = list.substr(0, comma);
      if (!db::validTableName(t)) return CS_E_INVALID;
      c.tables.emplace_back(t);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    if (c.tables.empty()) return CS_E_INVALID;
    for (const auto& p : h->gen->data.publishes)
      if (p.name == c.name && p.version == version) return CS_E_CONFLICT;
    h->gen->data.publishes.push_back(std::move(c));
    return CS_OK;
  });
}
cs_status dbUse(cs_host* h, cs_str contract, uint32_t version) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!db::validContractName(sv(contract)) || version == 0) return CS_E_INVALID;
  return shim(nullptr, [&] {
    h->gen->data.uses.push_back({std::string(sv(contract)), version});
    return CS_OK;
  });
}

size_t rowsCount(const cs_rows* r) { return r ? r->rs.rows() : 0; }
size_t rowsColumns(const cs_rows* r) { return r ? r->rs.columns.size() : 0; }
cs_str rowsColumnName(const cs_rows* r, size_t c) {
  return r && c < r->rs.columns.size() ? cs(r->rs.columns[c]) : cs_str{nullptr, 0};
}
cs_status rowsGet(const cs_rows* r, size_t row, size_t col, cs_value* out) {
  if (!r || !out || row >= r->rs.rows() || col >= r->rs.columns.size()) return CS_E_INVALID;
  const db::Value& v = r->rs.at(row, col);
  out->type = v.type;
  out->i = v.i;
  out->d = v.d;
  out->s = cs(v.s);
  return CS_OK;
}
int64_t rowsAffected(const cs_rows* r) { return r ? r->rs.affected : 0; }
void rowsFree(cs_rows* r) { delete r; }

// ---- key-value ----
cs_status kvGet(cs_host* h, cs_str key, cs_buf* out) {
  if (!h || !out) return CS_E_INVALID;
  return shim(nullptr, [&] {
    auto v = h->services->kv->get(h->gen->module, sv(key));
    if (!v) return CS_E_NOT_FOUND;
    out->data.append(*v);
    return CS_OK;
  });
}
cs_status kvPut(cs_host* h, cs_str key, cs_str value, uint32_t ttl) {
  if (!h) return CS_E_INVALID;
  return shim(nullptr, [&] {
    h->services->kv->put(h->gen->module, sv(key), sv(value), ttl);
    return CS_OK;
  });
}
cs_status kvDel(cs_host* h, cs_str key) {
  if (!h) return CS_E_INVALID;
  return shim(nullptr, [&] { return h->services->kv->del(h->gen->module, sv(key)) ? CS_OK : CS_E_NOT_FOUND; });
}
cs_status kvIncr(cs_host* h, cs_str key, int64_t delta, int64_t* out) {
  if (!h) return CS_E_INVALID;
  return shim(nullptr, [&] {
    int64_t v = h->services->kv->incr(h->gen->module, sv(key), delta);
    if (out) *out = v;
    return CS_OK;
  });
}

// ---- events ----
cs_status eventPublish(cs_host* h, cs_str topic, cs_str payload) {
  if (!h || !events::storableTopic(sv(topic))) return CS_E_INVALID;
  if (!h->services->events) return CS_E_UNAVAILABLE;  // a host assembled without its log (tests)
  return shim(nullptr, [&] {
    h->services->events->publish(h->gen->module, std::string(sv(topic)), std::string(sv(payload)));
    return CS_OK;
  });
}
cs_status eventSubscribe(cs_host* h, cs_str pattern, cs_event_fn fn, void* ud) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!fn || sv(pattern).empty()) return CS_E_INVALID;
  return shim(nullptr, [&] {
    h->gen->subscriptions.push_back(SubscriptionReg{std::string(sv(pattern)), fn, nullptr, ud});
    return CS_OK;
  });
}
// ---- the event log (ABI 1.6) ----
cs_status eventAppend(cs_host* h, cs_tx* tx, cs_str topic, cs_str payload) {
  if (!h || !tx || !tx->conn || !events::storableTopic(sv(topic))) return CS_E_INVALID;
  if (!h->services->events) return CS_E_UNAVAILABLE;
  return shim(nullptr, [&] {
    tx->events.push_back(events::PendingEvent{std::string(sv(topic)), h->gen->module, std::string(sv(payload))});
    return CS_OK;
  });
}
cs_status eventConsume(cs_host* h, cs_str pattern, cs_event_seq_fn fn, void* ud) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!fn || sv(pattern).empty()) return CS_E_INVALID;
  return shim(nullptr, [&] {
    h->gen->subscriptions.push_back(SubscriptionReg{std::string(sv(pattern)), nullptr, fn, ud});
    return CS_OK;
  });
}

// ---- timers and tasks ----
cs_status timerEvery(cs_host* h, cs_str name, uint32_t periodMs, cs_timer_fn fn, void* ud) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!fn || periodMs == 0) return CS_E_INVALID;
  return shim(nullptr, [&] {
    h->gen->timers.push_back(TimerReg{std::string(sv(name)), periodMs, fn, ud});
    return CS_OK;
  });
}
cs_status taskSubmit(cs_host* h, cs_task_fn fn, void* ud) {
  if (!h || !fn) return CS_E_INVALID;
  return shim(nullptr, [&] {
    // The queued task holds a lease: the generation cannot be unloaded before it ran.
    GenerationPtr lease = h->gen->shared_from_this();
    Metrics* metrics = h->services->metrics;
    h->services->workers->post([lease, fn, ud, metrics] {
      cs_buf err;
      cs_status rc = CS_E_MODULE;
      try {
        rc = fn(ud, &err);
      } catch (...) {
        err.data = "exception escaped the module boundary";
      }
      if (rc != CS_OK) {
        metrics->counter("codestats_task_failures_total", Metrics::label("module", lease->module))++;
        spdlog::warn("{} background task failed: {}", lease->logPrefix(), err.data);
      }
    });
    return CS_OK;
  });
}
int isDraining(cs_host* h) { return h && h->gen && h->gen->draining.load() ? 1 : 0; }

// ---- services ----
cs_status serviceProvide(cs_host* h, cs_str name, uint32_t major, cs_service_fn fn, void* ud) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!fn || sv(name).empty()) return CS_E_INVALID;
  return shim(nullptr, [&] {
    for (const auto& s : h->gen->services)
      if (s.name == sv(name) && s.major == major) return CS_E_CONFLICT;
    h->gen->services.push_back(ServiceReg{std::string(sv(name)), major, fn, ud});
    return CS_OK;
  });
}
cs_status serviceCall(cs_host* h, cs_str name, uint32_t major, cs_str method, cs_str req, cs_buf* out, cs_buf* err) {
  if (!h || !out) return CS_E_INVALID;
  cs_buf scratch;
  return shim(err, [&] {
    return h->services->modules->callService(sv(name), major, sv(method), sv(req), out, err ? err : &scratch);
  });
}

// ---- admin commands ----
cs_status adminCommand(cs_host* h, cs_str name, cs_str help, cs_admin_fn fn, void* ud) {
  if (!registrationOpen(h)) return CS_E_STATE;
  std::string n(sv(name));
  if (!fn || n.empty()) return CS_E_INVALID;
  return shim(nullptr, [&] {
    std::string prefix = h->gen->module + ".";
    std::string full = n.rfind(prefix, 0) == 0 ? n : prefix + n;
    for (const auto& c : h->gen->commands)
      if (c.name == full) return CS_E_CONFLICT;
    h->gen->commands.push_back(CommandReg{full, std::string(sv(help)), fn, ud});
    return CS_OK;
  });
}

// ---- metrics ----
cs_status counterAdd(cs_host* h, cs_str name, int64_t delta) {
  if (!h || sv(name).empty() || delta < 0) return CS_E_INVALID;
  return shim(nullptr, [&] {
    std::string labels = Metrics::label("module", h->gen->module) + "," + Metrics::label("counter", sv(name));
    h->services->metrics->counter("codestats_module_counter_total", labels) += delta;
    return CS_OK;
  });
}

// ---- gauges and histograms (ABI 1.2) ----
// Resolves the family on every call (a shared-lock lookup): modules set gauges on timers
// and observe per batch, not per request. A refused call is counted per module
// (codestats_module_metric_errors_total) and logged at debug with the reason, so a wrong
// name shows on /metrics even when the module ignores the status.
template <typename F>
cs_status moduleMetricCall(cs_host* h, cs_str name, double value, F&& apply) {
  if (!h) return CS_E_INVALID;
  cs_buf reason;
  cs_status rc = shim(&reason, [&] {
    if (!std::isfinite(value)) throw std::invalid_argument("value is not finite");
    try {
      apply(moduleMetric(h->gen->module, sv(name)));
      return CS_OK;
    } catch (const MetricKindConflict& e) {
      reason.data += e.what();
      return CS_E_CONFLICT;
    }
  });
  if (rc != CS_OK) {
    h->services->metrics->counter("codestats_module_metric_errors_total", Metrics::label("module", h->gen->module))++;
    spdlog::debug("{} metric '{}' refused: {}", h->gen->logPrefix(), sv(name), reason.data);
  }
  return rc;
}
cs_status gaugeSet(cs_host* h, cs_str name, double value) {
  return moduleMetricCall(h, name, value, [&](const ModuleMetric& m) {
    h->services->metrics->gauge(m.family, m.labels).store(value, std::memory_order_relaxed);
  });
}
cs_status histogramObserve(cs_host* h, cs_str name, double value) {
  return moduleMetricCall(h, name, value, [&](const ModuleMetric& m) {
    h->services->metrics->valueHistogram(m.family, m.labels, moduleHistogramBounds(sv(name))).observe(value);
  });
}

// ---- channels (ABI 1.1) ----
cs_status channelHandle(cs_host* h, cs_str pattern, const cs_channel_handlers* handlers, void* ud) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!handlers || sv(pattern).empty() ||
      handlers->struct_size < offsetof(cs_channel_handlers, on_join) + sizeof(void*) || !handlers->on_join)
    return CS_E_INVALID;
  return shim(nullptr, [&] {
    for (const auto& c : h->gen->channels)
      if (c.pattern == sv(pattern)) return CS_E_CONFLICT;
    // Copy what this host knows of the table; fields a smaller (older) table lacks stay NULL.
    cs_channel_handlers copy{};
    std::memcpy(&copy, handlers, std::min<size_t>(handlers->struct_size, sizeof copy));
    copy.struct_size = sizeof copy;
    h->gen->channels.push_back(ChannelReg{std::string(sv(pattern)), copy, ud});
    return CS_OK;
  });
}
cs_status socketConnectHandler(cs_host* h, cs_socket_connect_fn fn, void* ud) {
  if (!registrationOpen(h)) return CS_E_STATE;
  if (!fn) return CS_E_INVALID;
  if (h->gen->socketConnect.fn) return CS_E_CONFLICT;
  h->gen->socketConnect = SocketConnectReg{fn, ud};
  return CS_OK;
}
cs_status channelBroadcast(cs_host* h, cs_str topic, cs_str event, cs_str payload) {
  if (!h || sv(topic).empty() || sv(event).empty()) return CS_E_INVALID;
  if (!h->services->hub) return CS_E_UNAVAILABLE;
  return shim(nullptr, [&] {
    h->services->hub->broadcast(sv(topic), sv(event), sv(payload));
    return CS_OK;
  });
}
cs_status channelPush(cs_host* h, uint64_t conn, cs_str topic, cs_str event, cs_str payload) {
  if (!h || sv(topic).empty() || sv(event).empty()) return CS_E_INVALID;
  if (!h->services->hub) return CS_E_UNAVAILABLE;
  return shim(nullptr,
              [&] { return h->services->hub->push(conn, sv(topic), sv(event), sv(payload)) ? CS_OK : CS_E_NOT_FOUND; });
}

cs_host_api makeTable() {
  cs_host_api t{};
  t.struct_size = sizeof(cs_host_api);
  t.abi_major = CS_ABI_MAJOR;
  t.abi_minor = CS_ABI_MINOR;
  t.buf_append = bufAppend;
  t.buf_clear = bufClear;
  t.buf_new = bufNew;
  t.buf_free = bufFree;
  t.buf_view = bufView;
  t.log = logMsg;
  t.log_enabled = logEnabled;
  t.config_get = configGet;
  t.config_key_at = configKeyAt;
  t.http_route = httpRoute;
  t.req_method = reqMethod;
  t.req_path = reqPath;
  t.req_target = reqTarget;
  t.req_query = reqQuery;
  t.req_body = reqBody;
  t.req_remote_addr = reqRemote;
  t.req_id = reqId;
  t.req_header = reqHeader;
  t.req_header_at = reqHeaderAt;
  t.req_param = reqParam;
  t.resp_status = respStatus;
  t.resp_header = respHeader;
  t.resp_add_header = respAddHeader;
  t.resp_write = respWrite;
  t.resp_fail = respFail;
  t.db_backend = dbBackend;
  t.db_query = dbQuery;
  t.db_transaction = dbTransaction;
  t.db_migration = dbMigration;
  t.rows_count = rowsCount;
  t.rows_columns = rowsColumns;
  t.rows_column_name = rowsColumnName;
  t.rows_get = rowsGet;
  t.rows_affected = rowsAffected;
  t.rows_free = rowsFree;
  t.kv_get = kvGet;
  t.kv_put = kvPut;
  t.kv_del = kvDel;
  t.kv_incr = kvIncr;
  t.event_publish = eventPublish;
  t.event_subscribe = eventSubscribe;
  t.event_append = eventAppend;
  t.event_consume = eventConsume;
  t.timer_every = timerEvery;
  t.task_submit = taskSubmit;
  t.is_draining = isDraining;
  t.service_provide = serviceProvide;
  t.service_call = serviceCall;
  t.admin_command = adminCommand;
  t.counter_add = counterAdd;
  t.channel_handle = channelHandle;
  t.socket_connect_handler = socketConnectHandler;
  t.channel_broadcast = channelBroadcast;
  t.channel_push = channelPush;
  t.gauge_set = gaugeSet;
  t.histogram_observe = histogramObserve;
  t.http_batch_route = httpBatchRoute;
  t.db_own_table = dbOwnTable;
  t.db_publish = dbPublish;
  t.db_use = dbUse;
  return t;
}

const cs_host_api kTable = makeTable();

}  // namespace

const cs_host_api* hostApi() { return &kTable; }

}  // namespace codestats::host
