// Header-only C++ wrapper over <codestats/module_abi.h>.
//
// A module derives from codestats::Module, registers everything in its constructor and
// ends one .cpp file with CODESTATS_MODULE(Class, "name", "version", state_schema).
// Exceptions never cross the ABI: every trampoline below catches them and turns them into
// a status plus a message in a host-owned buffer.
//
// This header keeps no static state on purpose: no function-local statics, no inline
// variables, no template static members (each would become a STB_GNU_UNIQUE symbol and pin
// the module in memory; see docs/plugin-host.md).
#pragma once

#include <codestats/module_abi.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef CODESTATS_BUILD_ID
#define CODESTATS_BUILD_ID "unknown"
#endif

namespace codestats {

inline std::string_view view(cs_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }
inline cs_str str(std::string_view s) { return cs_str{s.data(), s.size()}; }

// An error with an ABI status code; thrown by the wrapper, caught by the trampolines.
class Error : public std::runtime_error {
 public:
  Error(cs_status code, const std::string& message) : std::runtime_error(message), code_(code) {}
  cs_status code() const { return code_; }

 private:
  cs_status code_;
};

// A host-owned output buffer, collected into a std::string.
class Buffer {
 public:
  Buffer(const cs_host_api* api, cs_buf* buf) : api_(api), buf_(buf) {}
  void append(std::string_view data) const { api_->buf_append(buf_, str(data)); }
  void clear() const { api_->buf_clear(buf_); }

 private:
  const cs_host_api* api_;
  cs_buf* buf_;
};

// A typed DB parameter. Text views are borrowed: the string must outlive the query call.
class Param {
 public:
  Param(std::nullptr_t) { v_.type = CS_VAL_NULL; }
  Param(int64_t i) {
    v_.type = CS_VAL_INT;
    v_.i = i;
  }
  Param(int i) : Param(static_cast<int64_t>(i)) {}
  Param(uint32_t i) : Param(static_cast<int64_t>(i)) {}
  Param(bool b) : Param(static_cast<int64_t>(b ? 1 : 0)) {}
  Param(double d) {
    v_.type = CS_VAL_REAL;
    v_.d = d;
  }
  Param(std::string_view s) {
    v_.type = CS_VAL_TEXT;
    v_.s = str(s);
  }
  Param(const std::string& s) : Param(std::string_view(s)) {}
  Param(const char* s) : Param(std::string_view(s)) {}
  template <typename T>
  Param(const std::optional<T>& o) : Param(nullptr) {
    if (o) *this = Param(*o);
  }
  static Param blob(std::string_view bytes) {
    Param p(bytes);
    p.v_.type = CS_VAL_BLOB;
    return p;
  }
  const cs_value& raw() const { return v_; }

 private:
  cs_value v_{};
};

class Rows;

// One row of a result set; views stay valid while the Rows object lives.
class Row {
 public:
  Row(const Rows& rows, size_t index) : rows_(&rows), index_(index) {}
  cs_value value(size_t column) const;
  bool isNull(size_t column) const { return value(column).type == CS_VAL_NULL; }
  int64_t i64(size_t column) const;
  double real(size_t column) const;
  std::string_view text(size_t column) const;
  std::optional<int64_t> optI64(size_t column) const {
    if (isNull(column)) return std::nullopt;
    return i64(column);
  }
  std::optional<std::string> optText(size_t column) const {
    if (isNull(column)) return std::nullopt;
    return std::string(text(column));
  }

 private:
  const Rows* rows_;
  size_t index_;
};

// A host-owned result set, freed on destruction.
class Rows {
 public:
  Rows() = default;
  Rows(const cs_host_api* api, cs_rows* rows) : api_(api), rows_(rows) {}
  Rows(Rows&& o) noexcept : api_(o.api_), rows_(std::exchange(o.rows_, nullptr)) {}
  Rows& operator=(Rows&& o) noexcept {
    if (this != &o) {
      reset();
      api_ = o.api_;
      rows_ = std::exchange(o.rows_, nullptr);
    }
    return *this;
  }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows() { reset(); }

  size_t size() const { return rows_ ? api_->rows_count(rows_) : 0; }
  bool empty() const { return size() == 0; }
  size_t columns() const { return rows_ ? api_->rows_columns(rows_) : 0; }
  std::string_view columnName(size_t c) const { return view(api_->rows_column_name(rows_, c)); }
  int64_t affected() const { return rows_ ? api_->rows_affected(rows_) : 0; }
  Row operator[](size_t i) const { return Row(*this, i); }
  cs_value get(size_t row, size_t column) const {
    cs_value v{};
    if (!rows_ || api_->rows_get(rows_, row, column, &v) != CS_OK)
      throw Error(CS_E_INVALID, "result cell out of range");
    return v;
  }

 private:
  void reset() {
    if (rows_) api_->rows_free(rows_);
    rows_ = nullptr;
  }
  const cs_host_api* api_ = nullptr;
  cs_rows* rows_ = nullptr;
};

inline cs_value Row::value(size_t column) const { return rows_->get(index_, column); }
inline int64_t Row::i64(size_t column) const {
  cs_value v = value(column);
  if (v.type == CS_VAL_INT) return v.i;
  if (v.type == CS_VAL_REAL) return static_cast<int64_t>(v.d);
  if (v.type == CS_VAL_TEXT) return std::stoll(std::string(view(v.s)));
  throw Error(CS_E_INVALID, "column is NULL or not a number");
}
inline double Row::real(size_t column) const {
  cs_value v = value(column);
  if (v.type == CS_VAL_REAL) return v.d;
  if (v.type == CS_VAL_INT) return static_cast<double>(v.i);
  if (v.type == CS_VAL_TEXT) return std::stod(std::string(view(v.s)));
  throw Error(CS_E_INVALID, "column is NULL or not a number");
}
inline std::string_view Row::text(size_t column) const {
  cs_value v = value(column);
  if (v.type == CS_VAL_TEXT || v.type == CS_VAL_BLOB) return view(v.s);
  if (v.type == CS_VAL_NULL) return {};
  throw Error(CS_E_INVALID, "column is not text");
}

namespace detail {
// Collects a host buffer into a std::string.
struct StringSink {
  std::string data;
};
inline cs_status throwIfError(cs_status rc, std::string_view what, const std::string& msg) {
  if (rc != CS_OK) throw Error(rc, std::string(what) + ": " + msg);
  return rc;
}
// Runs fn, turning any exception into a status and a message in err.
template <typename F>
cs_status guard(const cs_host_api* api, cs_buf* err, F&& fn) noexcept {
  try {
    fn();
    return CS_OK;
  } catch (const Error& e) {
    if (err) api->buf_append(err, str(e.what()));
    return e.code() == CS_OK ? CS_E_MODULE : e.code();
  } catch (const std::exception& e) {
    if (err) api->buf_append(err, str(e.what()));
    return CS_E_MODULE;
  } catch (...) {
    if (err) api->buf_append(err, str("unknown exception"));
    return CS_E_MODULE;
  }
}
}  // namespace detail

class Host;

// An open transaction, valid inside Host::transaction's callback only.
class Tx {
 public:
  using Deferred = std::vector<std::pair<std::string, std::string>>;
  Tx(Host& host, cs_tx* tx, Deferred* deferred = nullptr) : host_(host), tx_(tx), deferred_(deferred) {}
  Rows query(std::string_view sql, std::initializer_list<Param> params = {});
  Rows query(std::string_view sql, const std::vector<Param>& params);
  // Appends an event to the host's log in this transaction (ABI 1.6): it exists if and only
  // if the transaction commits. On an older host it is published after the commit.
  void publish(std::string_view topic, std::string_view payloadJson);

 private:
  Host& host_;
  cs_tx* tx_;
  Deferred* deferred_;
};

// The module's view of host services. Cheap to copy.
class Host {
 public:
  Host(const cs_host_api* api, cs_host* host) : api_(api), host_(host) {}
  const cs_host_api* api() const { return api_; }
  cs_host* raw() const { return host_; }

  // logging
  bool logEnabled(int level) const { return api_->log_enabled(host_, level) != 0; }
  void log(int level, std::string_view msg) const { api_->log(host_, level, str(msg)); }
  void debug(std::string_view m) const { log(CS_LOG_DEBUG, m); }
  void info(std::string_view m) const { log(CS_LOG_INFO, m); }
  void warn(std::string_view m) const { log(CS_LOG_WARN, m); }
  void error(std::string_view m) const { log(CS_LOG_ERROR, m); }

  // config
  std::optional<std::string_view> config(std::string_view key) const {
    cs_str out{};
    if (api_->config_get(host_, str(key), &out) != CS_OK) return std::nullopt;
    return view(out);
  }
  std::string config(std::string_view key, std::string_view fallback) const {
    auto v = config(key);
    return std::string(v ? *v : fallback);
  }
  int64_t configInt(std::string_view key, int64_t fallback) const {
    auto v = config(key);
    if (!v) return fallback;
    try {
      size_t used = 0;
      int64_t n = std::stoll(std::string(*v), &used);
      if (used != v->size()) throw std::invalid_argument("trailing characters");
      return n;
    } catch (const std::exception&) {
      throw Error(CS_E_INVALID,
                  "config key '" + std::string(key) + "': expected an integer, got '" + std::string(*v) + "'");
    }
  }
  bool configBool(std::string_view key, bool fallback) const {
    auto v = config(key);
    if (!v) return fallback;
    if (*v == "true" || *v == "1" || *v == "yes" || *v == "on") return true;
    if (*v == "false" || *v == "0" || *v == "no" || *v == "off") return false;
    throw Error(CS_E_INVALID,
                "config key '" + std::string(key) + "': expected true or false, got '" + std::string(*v) + "'");
  }
  std::vector<std::string_view> configKeys() const {
    std::vector<std::string_view> keys;
    cs_str k{};
    for (size_t i = 0; api_->config_key_at(host_, i, &k) == CS_OK; ++i) keys.push_back(view(k));
    return keys;
  }
  // Throws naming the first module config key that is not in `known`.
  void rejectUnknownConfig(std::initializer_list<std::string_view> known) const {
    for (auto key : configKeys()) {
      bool ok = false;
      for (auto k : known) ok = ok || k == key;
      if (!ok) throw Error(CS_E_INVALID, "unknown config key '" + std::string(key) + "'");
    }
  }

  // database
  int dbBackend() const { return api_->db_backend(host_); }
  Rows query(std::string_view sql, std::initializer_list<Param> params = {}) {
    return run(nullptr, sql, params.begin(), params.size());
  }
  Rows query(std::string_view sql, const std::vector<Param>& params) {
    return run(nullptr, sql, params.data(), params.size());
  }
  // Runs fn(Tx&) in one transaction; an exception from fn rolls back and is rethrown as Error.
  void transaction(const std::function<void(Tx&)>& fn) {
    struct Ctx {
      Host* self;
      const std::function<void(Tx&)>* fn;
      Tx::Deferred deferred;  // Tx::publish on a host before 1.6
    } ctx{this, &fn, {}};
    struct T {
      static cs_status call(void* ud, cs_tx* tx, cs_buf* err) {
        auto* c = static_cast<Ctx*>(ud);
        c->deferred.clear();  // a host may retry the callback
        return detail::guard(c->self->api_, err, [&] {
          Tx t(*c->self, tx, &c->deferred);
          (*c->fn)(t);
        });
      }
    };
    withErr([&](cs_buf* err) { return api_->db_transaction(host_, &T::call, &ctx, err); }, "transaction");
    for (const auto& [topic, payload] : ctx.deferred) publish(topic, payload);
  }

  // key-value store (namespaced per module, survives reloads)
  std::optional<std::string> kvGet(std::string_view key) {
    std::string out;
    cs_status rc = withOut([&](cs_buf* b) { return api_->kv_get(host_, str(key), b); }, out);
    if (rc == CS_E_NOT_FOUND) return std::nullopt;
    detail::throwIfError(rc, "kv_get", "");
    return out;
  }
  void kvPut(std::string_view key, std::string_view value, uint32_t ttlMs = 0) {
    detail::throwIfError(api_->kv_put(host_, str(key), str(value), ttlMs), "kv_put", "");
  }
  void kvDel(std::string_view key) { api_->kv_del(host_, str(key)); }
  int64_t kvIncr(std::string_view key, int64_t delta) {
    int64_t out = 0;
    detail::throwIfError(api_->kv_incr(host_, str(key), delta, &out), "kv_incr", "");
    return out;
  }

  // events
  void publish(std::string_view topic, std::string_view payloadJson) {
    detail::throwIfError(api_->event_publish(host_, str(topic), str(payloadJson)), "event_publish", "");
  }

  // background work on host threads; the task holds a lease on this generation
  void submit(std::function<void()> fn) {
    struct Task {
      const cs_host_api* api;
      std::function<void()> fn;
      static cs_status run(void* ud, cs_buf* err) {
        std::unique_ptr<Task> t(static_cast<Task*>(ud));
        return detail::guard(t->api, err, [&] { t->fn(); });
      }
    };
    auto* task = new Task{api_, std::move(fn)};
    cs_status rc = api_->task_submit(host_, &Task::run, task);
    if (rc != CS_OK) {
      delete task;
      throw Error(rc, "task_submit failed");
    }
  }
  bool draining() const { return api_->is_draining(host_) != 0; }

  // services: nullopt when no provider is loaded
  std::optional<std::string> call(std::string_view service, uint32_t major, std::string_view method,
                                  std::string_view requestJson) {
    std::string out, msg;
    cs_status rc = withOutErr(
        [&](cs_buf* o, cs_buf* e) {
          return api_->service_call(host_, str(service), major, str(method), str(requestJson), o, e);
        },
        out, msg);
    if (rc == CS_E_UNAVAILABLE) return std::nullopt;
    detail::throwIfError(rc, std::string(service) + "." + std::string(method), msg);
    return out;
  }

  void counter(std::string_view name, int64_t delta = 1) { api_->counter_add(host_, str(name), delta); }

  // Gauges and histograms (ABI 1.2), exported as codestats_<module>_<name>. They never throw,
  // so a metric cannot fail the work it measures: they return CS_OK, CS_E_INVALID (bad name,
  // value not finite), CS_E_CONFLICT (the name is already the other kind) or, on a host
  // older than ABI 1.2 (a module declaring an older minor), CS_E_UNAVAILABLE without a call.
  bool hasGaugesAndHistograms() const { return CS_HOST_HAS(api_, histogram_observe); }
  cs_status gauge(std::string_view name, double value) {
    if (!CS_HOST_HAS(api_, gauge_set)) return CS_E_UNAVAILABLE;
    return api_->gauge_set(host_, str(name), value);
  }
  cs_status observe(std::string_view name, double value) {
    if (!CS_HOST_HAS(api_, histogram_observe)) return CS_E_UNAVAILABLE;
    return api_->histogram_observe(host_, str(name), value);
  }

  // live channels (ABI 1.1): fan-out to every socket joined to topic / to one connection
  bool hasChannels() const { return CS_HOST_HAS(api_, channel_push); }
  void broadcast(std::string_view topic, std::string_view event, std::string_view payloadJson) {
    if (!hasChannels()) throw Error(CS_E_UNAVAILABLE, "this host has no channels (ABI < 1.1)");
    detail::throwIfError(api_->channel_broadcast(host_, str(topic), str(event), str(payloadJson)), "broadcast", "");
  }
  bool push(uint64_t conn, std::string_view topic, std::string_view event, std::string_view payloadJson) {
    if (!hasChannels()) throw Error(CS_E_UNAVAILABLE, "this host has no channels (ABI < 1.1)");
    return api_->channel_push(host_, conn, str(topic), str(event), str(payloadJson)) == CS_OK;
  }

  // low level: runs a query with an optional transaction
  Rows run(cs_tx* tx, std::string_view sql, const Param* params, size_t n) {
    std::vector<cs_value> values(n);
    for (size_t i = 0; i < n; ++i) values[i] = params[i].raw();
    cs_rows* rows = nullptr;
    withErr([&](cs_buf* err) { return api_->db_query(host_, tx, str(sql), values.data(), values.size(), &rows, err); },
            "query");
    return Rows(api_, rows);
  }

 private:
  // A host buffer borrowed for one call.
  struct ScopedBuf {
    const cs_host_api* api;
    cs_buf* buf;
    explicit ScopedBuf(const cs_host_api* a) : api(a), buf(a->buf_new()) {}
    ~ScopedBuf() { api->buf_free(buf); }
    ScopedBuf(const ScopedBuf&) = delete;
    ScopedBuf& operator=(const ScopedBuf&) = delete;
    std::string str() const { return std::string(view(api->buf_view(buf))); }
  };
  template <typename F>
  cs_status withOut(F&& f, std::string& out) {
    ScopedBuf b(api_);
    cs_status rc = f(b.buf);
    out = b.str();
    return rc;
  }
  template <typename F>
  cs_status withOutErr(F&& f, std::string& out, std::string& err) {
    ScopedBuf b(api_), e(api_);
    cs_status rc = f(b.buf, e.buf);
    out = b.str();
    err = e.str();
    return rc;
  }
  template <typename F>
  void withErr(F&& f, std::string_view what) {
    ScopedBuf e(api_);
    cs_status rc = f(e.buf);
    if (rc != CS_OK) throw Error(rc, std::string(what) + ": " + e.str());
  }

  const cs_host_api* api_;
  cs_host* host_;
};

inline Rows Tx::query(std::string_view sql, std::initializer_list<Param> params) {
  return host_.run(tx_, sql, params.begin(), params.size());
}
inline Rows Tx::query(std::string_view sql, const std::vector<Param>& params) {
  return host_.run(tx_, sql, params.data(), params.size());
}
inline void Tx::publish(std::string_view topic, std::string_view payloadJson) {
  const cs_host_api* api = host_.api();
  if (CS_HOST_HAS(api, event_append)) {
    detail::throwIfError(api->event_append(host_.raw(), tx_, str(topic), str(payloadJson)), "event_append", "");
  } else if (deferred_) {
    deferred_->emplace_back(topic, payloadJson);
  } else {
    host_.publish(topic, payloadJson);
  }
}

// A read-only view of an HTTP request, valid during the handler call.
class Request {
 public:
  Request(const cs_host_api* api, const cs_http_req* req) : api_(api), req_(req) {}
  std::string_view method() const { return view(api_->req_method(req_)); }
  std::string_view path() const { return view(api_->req_path(req_)); }
  std::string_view target() const { return view(api_->req_target(req_)); }
  std::string_view query() const { return view(api_->req_query(req_)); }
  std::string_view body() const { return view(api_->req_body(req_)); }
  std::string_view remoteAddr() const { return view(api_->req_remote_addr(req_)); }
  std::string_view id() const { return view(api_->req_id(req_)); }
  std::optional<std::string_view> header(std::string_view name, size_t index = 0) const {
    cs_str out{};
    if (api_->req_header(req_, str(name), index, &out) != CS_OK) return std::nullopt;
    return view(out);
  }
  size_t headerCount(std::string_view name) const {
    size_t n = 0;
    cs_str out{};
    while (api_->req_header(req_, str(name), n, &out) == CS_OK) ++n;
    return n;
  }
  std::vector<std::pair<std::string_view, std::string_view>> headers() const {
    std::vector<std::pair<std::string_view, std::string_view>> all;
    cs_str n{}, v{};
    for (size_t i = 0; api_->req_header_at(req_, i, &n, &v) == CS_OK; ++i) all.emplace_back(view(n), view(v));
    return all;
  }
  std::optional<std::string_view> param(std::string_view name) const {
    cs_str out{};
    if (api_->req_param(req_, str(name), &out) != CS_OK) return std::nullopt;
    return view(out);
  }

 private:
  const cs_host_api* api_;
  const cs_http_req* req_;
};

// The response being built; the host sends it after the handler returns.
class Response {
 public:
  Response(const cs_host_api* api, cs_http_resp* resp) : api_(api), resp_(resp) {}
  Response& status(int code) {
    api_->resp_status(resp_, code);
    return *this;
  }
  Response& header(std::string_view name, std::string_view value) {
    api_->resp_header(resp_, str(name), str(value));
    return *this;
  }
  Response& addHeader(std::string_view name, std::string_view value) {
    api_->resp_add_header(resp_, str(name), str(value));
    return *this;
  }
  Response& write(std::string_view chunk) {
    api_->resp_write(resp_, str(chunk));
    return *this;
  }
  Response& json(int code, std::string_view body) {
    return status(code).header("Content-Type", "application/json").write(body);
  }
  Response& text(int code, std::string_view body) {
    return status(code).header("Content-Type", "text/plain; charset=utf-8").write(body);
  }
  // This request failed (ABI 1.5): the host answers it 500 as for a handler that threw,
  // whatever was set before. False on an older host, which cannot (throw instead).
  bool fail(std::string_view why) {
    if (!CS_HOST_HAS(api_, resp_fail)) return false;
    return api_->resp_fail(resp_, str(why)) == CS_OK;
  }

 private:
  const cs_host_api* api_;
  cs_http_resp* resp_;
};

// Channels (ABI 1.1). A join or event handler answers with a ChannelReply: ok or refused,
// the reply's "response" object as JSON, and (for joins) the per-join assigns the host keeps.
struct ChannelCall {
  uint64_t conn;
  std::string_view topic, event, payloadJson, identity, assigns;
};
struct ChannelReply {
  bool ok = true;
  std::string responseJson;  // empty = {}
  std::string assigns;       // joins only
  static ChannelReply accept(std::string response = {}, std::string assigns = {}) {
    return ChannelReply{true, std::move(response), std::move(assigns)};
  }
  static ChannelReply refuse(std::string response) { return ChannelReply{false, std::move(response), {}}; }
};
struct ChannelHandlers {
  std::function<ChannelReply(const ChannelCall&)> onJoin;
  std::function<ChannelReply(const ChannelCall&)> onEvent;  // optional
  std::function<void(const ChannelCall&)> onLeave;          // optional
};
// Returns the connection's identity ("" = anonymous), or nullopt to refuse the socket.
using SocketConnectHandler =
    std::function<std::optional<std::string>(std::string_view query, std::string_view remoteAddr)>;

using HttpHandler = std::function<void(const Request&, Response&)>;
// A batch route's handler (ABI 1.3): responses[i] answers requests[i].
using BatchHandler = std::function<void(const std::vector<Request>& requests, std::vector<Response>& responses)>;
// How the host groups a batch route's requests (cs_batch_options).
struct BatchOptions {
  uint32_t maxBatch = 256;
  std::chrono::microseconds maxWait{500};
  uint32_t maxInflight = 2;
};
using EventHandler = std::function<void(std::string_view topic, std::string_view payloadJson)>;
// seq: the event's position in the host's log (ABI 1.6); 0 on an older host.
using LogEventHandler = std::function<void(uint64_t seq, std::string_view topic, std::string_view payloadJson)>;
using TimerHandler = std::function<void()>;
using ServiceHandler = std::function<std::string(std::string_view method, std::string_view requestJson)>;
using AdminHandler = std::function<std::string(const std::vector<std::string>& args)>;

// Base class of a module. Register everything in the derived constructor; every handler
// is kept inside this object, so its lifetime is the generation's.
class Module {
 public:
  explicit Module(Host host) : host_(host) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual void start() {}
  virtual void stop() {}
  virtual std::string exportState() { return {}; }
  virtual void importState(uint32_t /*fromSchema*/, std::string_view /*blob*/, bool /*final*/) {}

  Host& host() { return host_; }

 protected:
  void route(std::string_view method, std::string_view pattern, HttpHandler fn) {
    auto& e = store(routes_, std::move(fn));
    check(host_.api()->http_route(host_.raw(), str(method), str(pattern), &onHttp, &e), "http_route");
  }
  // Requests of this route that arrive while earlier calls run reach fn together (ABI 1.3).
  // On an older host every call carries one request.
  void batchRoute(std::string_view method, std::string_view pattern, BatchOptions options, BatchHandler fn) {
    auto& e = store(batchRoutes_, std::move(fn));
    const cs_host_api* api = host_.api();
    if (!CS_HOST_HAS(api, http_batch_route)) {
      route(method, pattern, [&e](const Request& rq, Response& rs) {
        std::vector<Request> one{rq};
        std::vector<Response> out{rs};
        e.fn(one, out);
      });
      return;
    }
    cs_batch_options o{};
    o.struct_size = sizeof o;
    o.max_batch = options.maxBatch;
    o.max_wait_us = static_cast<uint32_t>(options.maxWait.count());
    o.max_inflight = options.maxInflight;
    check(api->http_batch_route(host_.raw(), str(method), str(pattern), &onHttpBatch, &e, &o), "http_batch_route");
  }
  // A route whose handler answers quickly, from memory (a kept page, a cached answer): the
  // host's event loop hands its requests to the batch threads (ABI 1.3) instead of a request
  // thread, which saves a thread hand-off and a second parse per request. Each request is
  // answered alone: an exception answers its own request 500 and no other. The handler must
  // not wait long (at most maxInflight of them run at once); slow routes stay route().
  void quickRoute(std::string_view method, std::string_view pattern, HttpHandler fn, uint32_t maxInflight = 2) {
    BatchOptions options;
    options.maxBatch = 16;
    options.maxWait = std::chrono::microseconds(0);  // never wait for company
    options.maxInflight = maxInflight;
    batchRoute(method, pattern, options,
               [fn = std::move(fn)](const std::vector<Request>& reqs, std::vector<Response>& resps) {
                 for (size_t i = 0; i < reqs.size(); ++i) {
                   try {
                     fn(reqs[i], resps[i]);
                   } catch (const std::exception& e) {
                     if (!resps[i].fail(e.what())) throw;  // a host before 1.5: the call fails
                   } catch (...) {
                     if (!resps[i].fail("unknown exception")) throw;
                   }
                 }
               });
  }
  void subscribe(std::string_view pattern, EventHandler fn) {
    auto& e = store(events_, std::move(fn));
    check(host_.api()->event_subscribe(host_.raw(), str(pattern), &onEvent, &e), "event_subscribe");
  }
  // Like subscribe, with each event's sequence number in the host's log (ABI 1.6), for a
  // consumer that must apply an event once although delivery is at least once. On an older
  // host the handler is subscribed with seq 0.
  void consume(std::string_view pattern, LogEventHandler fn) {
    auto& e = store(logEvents_, std::move(fn));
    if (CS_HOST_HAS(host_.api(), event_consume)) {
      check(host_.api()->event_consume(host_.raw(), str(pattern), &onLogEvent, &e), "event_consume");
    } else {
      check(host_.api()->event_subscribe(host_.raw(), str(pattern), &onUnsequencedEvent, &e), "event_subscribe");
    }
  }
  void every(std::string_view name, std::chrono::milliseconds period, TimerHandler fn) {
    auto& e = store(timers_, std::move(fn));
    check(host_.api()->timer_every(host_.raw(), str(name), static_cast<uint32_t>(period.count()), &onTimer, &e),
          "timer_every");
  }
  void provide(std::string_view service, uint32_t major, ServiceHandler fn) {
    auto& e = store(services_, std::move(fn));
    check(host_.api()->service_provide(host_.raw(), str(service), major, &onService, &e), "service_provide");
  }
  void command(std::string_view name, std::string_view help, AdminHandler fn) {
    auto& e = store(commands_, std::move(fn));
    check(host_.api()->admin_command(host_.raw(), str(name), str(help), &onAdmin, &e), "admin_command");
  }
  void migration(int64_t version, std::string_view name, std::string_view sqlSqlite, std::string_view sqlPostgres) {
    check(host_.api()->db_migration(host_.raw(), version, str(name), str(sqlSqlite), str(sqlPostgres)), "db_migration");
  }
  void migration(int64_t version, std::string_view name, std::string_view sqlBoth) {
    migration(version, name, sqlBoth, sqlBoth);
  }
  // Table ownership (ABI 1.4, docs/data-ownership.md): the tables this module owns, the read
  // contracts it publishes and those it reads. On an older host (which checks nothing) these
  // do nothing.
  void ownsTables(std::initializer_list<std::string_view> tables) {
    if (!CS_HOST_HAS(host_.api(), db_use)) return;
    for (auto t : tables) check(host_.api()->db_own_table(host_.raw(), str(t)), "db_own_table");
  }
  void publishes(std::string_view contract, uint32_t version, std::initializer_list<std::string_view> tables) {
    if (!CS_HOST_HAS(host_.api(), db_use)) return;
    std::string list;
    for (auto t : tables) (list += list.empty() ? "" : ",") += t;
    check(host_.api()->db_publish(host_.raw(), str(contract), version, str(list)), "db_publish");
  }
  void uses(std::string_view contract, uint32_t version) {
    if (!CS_HOST_HAS(host_.api(), db_use)) return;
    check(host_.api()->db_use(host_.raw(), str(contract), version), "db_use");
  }
  void channel(std::string_view topicPattern, ChannelHandlers handlers) {
    if (!host_.hasChannels()) throw Error(CS_E_UNAVAILABLE, "this host has no channels (ABI < 1.1)");
    auto& e = store(channels_, std::move(handlers));
    cs_channel_handlers table{};
    table.struct_size = sizeof table;
    table.on_join = &onChannelJoin;
    table.on_event = &onChannelEvent;
    table.on_leave = &onChannelLeave;
    check(host_.api()->channel_handle(host_.raw(), str(topicPattern), &table, &e), "channel_handle");
  }
  void onSocketConnect(SocketConnectHandler fn) {
    if (!host_.hasChannels()) throw Error(CS_E_UNAVAILABLE, "this host has no channels (ABI < 1.1)");
    auto& e = store(connects_, std::move(fn));
    check(host_.api()->socket_connect_handler(host_.raw(), &onConnect, &e), "socket_connect_handler");
  }

 private:
  template <typename Fn>
  struct Entry {
    Module* self;
    Fn fn;
  };
  template <typename Fn>
  Entry<Fn>& store(std::deque<Entry<Fn>>& list, Fn fn) {
    list.push_back(Entry<Fn>{this, std::move(fn)});
    return list.back();
  }
  static void check(cs_status rc, const char* what) {
    if (rc != CS_OK) throw Error(rc, std::string(what) + " failed (status " + std::to_string(rc) + ")");
  }

  static cs_status onHttp(void* ud, const cs_http_req* req, cs_http_resp* resp, cs_buf* err) {
    auto* e = static_cast<Entry<HttpHandler>*>(ud);
    const cs_host_api* api = e->self->host_.api();
    return detail::guard(api, err, [&] {
      Request rq(api, req);
      Response rs(api, resp);
      e->fn(rq, rs);
    });
  }
  static cs_status onHttpBatch(void* ud, const cs_http_req* const* reqs, cs_http_resp* const* resps, size_t n,
                               cs_buf* err) {
    auto* e = static_cast<Entry<BatchHandler>*>(ud);
    const cs_host_api* api = e->self->host_.api();
    return detail::guard(api, err, [&] {
      std::vector<Request> rq;
      std::vector<Response> rs;
      rq.reserve(n);
      rs.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        rq.emplace_back(api, reqs[i]);
        rs.emplace_back(api, resps[i]);
      }
      e->fn(rq, rs);
    });
  }
  static cs_status channelReply(const cs_host_api* api, const ChannelReply& r, cs_buf* reply, cs_buf* assigns) {
    api->buf_append(reply, str(r.responseJson));
    if (assigns) api->buf_append(assigns, str(r.assigns));
    return r.ok ? CS_OK : CS_E_REFUSED;
  }
  static cs_status onChannelJoin(void* ud, uint64_t conn, cs_str topic, cs_str payload, cs_str identity, cs_buf* reply,
                                 cs_buf* assigns, cs_buf* err) {
    auto* e = static_cast<Entry<ChannelHandlers>*>(ud);
    const cs_host_api* api = e->self->host_.api();
    cs_status rc = CS_OK;
    cs_status g = detail::guard(api, err, [&] {
      ChannelCall call{conn, view(topic), "phx_join", view(payload), view(identity), {}};
      rc = channelReply(api, e->fn.onJoin(call), reply, assigns);
    });
    return g != CS_OK ? g : rc;
  }
  static cs_status onChannelEvent(void* ud, uint64_t conn, cs_str topic, cs_str event, cs_str payload, cs_str identity,
                                  cs_str assigns, cs_buf* reply, cs_buf* err) {
    auto* e = static_cast<Entry<ChannelHandlers>*>(ud);
    const cs_host_api* api = e->self->host_.api();
    if (!e->fn.onEvent) return CS_E_NOT_FOUND;
    cs_status rc = CS_OK;
    cs_status g = detail::guard(api, err, [&] {
      ChannelCall call{conn, view(topic), view(event), view(payload), view(identity), view(assigns)};
      rc = channelReply(api, e->fn.onEvent(call), reply, nullptr);
    });
    return g != CS_OK ? g : rc;
  }
  static void onChannelLeave(void* ud, uint64_t conn, cs_str topic, cs_str identity, cs_str assigns) {
    auto* e = static_cast<Entry<ChannelHandlers>*>(ud);
    if (!e->fn.onLeave) return;
    try {
      e->fn.onLeave(ChannelCall{conn, view(topic), "phx_leave", {}, view(identity), view(assigns)});
    } catch (...) {
      // on_leave has no error channel; the join is gone either way.
    }
  }
  static cs_status onConnect(void* ud, cs_str query, cs_str remote, cs_buf* identity, cs_buf* err) {
    auto* e = static_cast<Entry<SocketConnectHandler>*>(ud);
    const cs_host_api* api = e->self->host_.api();
    cs_status rc = CS_OK;
    cs_status g = detail::guard(api, err, [&] {
      auto id = e->fn(view(query), view(remote));
      if (!id) rc = CS_E_REFUSED;
      else api->buf_append(identity, str(*id));
    });
    return g != CS_OK ? g : rc;
  }

  static cs_status onEvent(void* ud, cs_str topic, cs_str payload, cs_buf* err) {
    auto* e = static_cast<Entry<EventHandler>*>(ud);
    return detail::guard(e->self->host_.api(), err, [&] { e->fn(view(topic), view(payload)); });
  }
  static cs_status onLogEvent(void* ud, uint64_t seq, cs_str topic, cs_str payload, cs_buf* err) {
    auto* e = static_cast<Entry<LogEventHandler>*>(ud);
    return detail::guard(e->self->host_.api(), err, [&] { e->fn(seq, view(topic), view(payload)); });
  }
  static cs_status onUnsequencedEvent(void* ud, cs_str topic, cs_str payload, cs_buf* err) {
    return onLogEvent(ud, 0, topic, payload, err);
  }
  static cs_status onTimer(void* ud, cs_buf* err) {
    auto* e = static_cast<Entry<TimerHandler>*>(ud);
    return detail::guard(e->self->host_.api(), err, [&] { e->fn(); });
  }
  static cs_status onService(void* ud, cs_str method, cs_str req, cs_buf* out, cs_buf* err) {
    auto* e = static_cast<Entry<ServiceHandler>*>(ud);
    const cs_host_api* api = e->self->host_.api();
    return detail::guard(api, err, [&] {
      std::string r = e->fn(view(method), view(req));
      api->buf_append(out, str(r));
    });
  }
  static cs_status onAdmin(void* ud, const cs_str* argv, size_t argc, cs_buf* out, cs_buf* err) {
    auto* e = static_cast<Entry<AdminHandler>*>(ud);
    const cs_host_api* api = e->self->host_.api();
    return detail::guard(api, err, [&] {
      std::vector<std::string> args;
      for (size_t i = 0; i < argc; ++i) args.emplace_back(view(argv[i]));
      std::string r = e->fn(args);
      api->buf_append(out, str(r));
    });
  }

  Host host_;
  std::deque<Entry<HttpHandler>> routes_;
  std::deque<Entry<BatchHandler>> batchRoutes_;
  std::deque<Entry<EventHandler>> events_;
  std::deque<Entry<LogEventHandler>> logEvents_;
  std::deque<Entry<TimerHandler>> timers_;
  std::deque<Entry<ServiceHandler>> services_;
  std::deque<Entry<AdminHandler>> commands_;
  std::deque<Entry<ChannelHandlers>> channels_;
  std::deque<Entry<SocketConnectHandler>> connects_;
};

namespace detail {
// The ABI trampolines for a module class T (derived from Module, constructible from Host).
template <typename T>
struct Trampolines {
  static Module* self(cs_instance* inst) { return reinterpret_cast<Module*>(inst); }
  static cs_status create(const cs_host_api* api, cs_host* host, cs_instance** out, cs_buf* err) {
    return guard(api, err, [&] {
      Module* m = new T(Host(api, host));
      *out = reinterpret_cast<cs_instance*>(m);
    });
  }
  static cs_status start(cs_instance* inst, cs_buf* err) {
    return guard(self(inst)->host().api(), err, [&] { self(inst)->start(); });
  }
  static cs_status stop(cs_instance* inst, cs_buf* err) {
    return guard(self(inst)->host().api(), err, [&] { self(inst)->stop(); });
  }
  static cs_status exportState(cs_instance* inst, cs_buf* out, cs_buf* err) {
    const cs_host_api* api = self(inst)->host().api();
    return guard(api, err, [&] {
      std::string blob = self(inst)->exportState();
      api->buf_append(out, str(blob));
    });
  }
  static cs_status importState(cs_instance* inst, uint32_t schema, cs_str blob, int final, cs_buf* err) {
    return guard(self(inst)->host().api(), err, [&] { self(inst)->importState(schema, view(blob), final != 0); });
  }
  static void destroy(cs_instance* inst) noexcept {
    try {
      delete self(inst);
    } catch (...) {
      // A destructor that throws has nowhere to report to; the instance is gone either way.
    }
  }
};
}  // namespace detail
}  // namespace codestats

// Generates the module's only exported symbol. Use once, in module.cpp.
#define CODESTATS_MODULE(ModuleClass, NameLiteral, VersionLiteral, StateSchema)                                       \
  extern "C" CS_EXPORT const cs_module* cs_module_entry_v1(uint16_t, uint16_t) {                                      \
    using CsT = ::codestats::detail::Trampolines<ModuleClass>;                                                        \
    static const cs_module descriptor = {sizeof(cs_module), CS_ABI_MAJOR,       CS_ABI_MINOR,      NameLiteral,       \
                                         VersionLiteral,    CODESTATS_BUILD_ID, (StateSchema),     &CsT::create,      \
                                         &CsT::start,       &CsT::stop,         &CsT::exportState, &CsT::importState, \
                                         &CsT::destroy};                                                              \
    return &descriptor;                                                                                               \
  }
