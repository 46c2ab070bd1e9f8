/*
 * codestats module ABI, version 1.
 *
 * The whole contract between the codestatsd host and a loadable module. Pure C, no
 * dependencies beyond <stddef.h>/<stdint.h>, so any compiler or language that can call C
 * can build a module. The header-only C++ wrapper lives in <codestats/sdk.hpp>.
 *
 * Rules (see sdk/ABI-CHANGELOG.md):
 *   - CS_ABI_MAJOR changes only on a breaking change; the host loads a module only when
 *     the majors are equal.
 *   - CS_ABI_MINOR grows when fields are appended; a module loads when its minor is <= the
 *     host's. Tables only ever grow at the end; every table starts with struct_size.
 *     Before calling an entry added in a later minor, check CS_HOST_HAS(api, field).
 *   - A module exports exactly one symbol: cs_module_entry_v1.
 *
 * Naming:   cs_type / cs_status codes / cs_host_api.<service> (module -> host) /
 *           cs_module.<hook> and *_fn callbacks (host -> module).
 * OWNERSHIP: cs_str values are borrowed views, valid only during the call that passed
 *           them (unless a comment says otherwise). cs_buf is a host-owned output buffer
 *           the module appends to. cs_rows is host-owned until rows_free().
 * THREADS:  every module callback runs on a host thread, inside a lease on the generation
 *           that registered it; callbacks may run concurrently unless stated otherwise.
 *           A module must not start threads that outlive a callback, must not keep
 *           thread_local objects with destructors and must not register anything in
 *           process-global registries.
 */
#ifndef CODESTATS_MODULE_ABI_H
#define CODESTATS_MODULE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_ABI_MAJOR 1
#define CS_ABI_MINOR 6

#define CS_MODULE_ENTRY_SYMBOL "cs_module_entry_v1"
#define CS_EXPORT __attribute__((visibility("default")))

/* True when the host table is new enough to contain `field`. */
#define CS_HOST_HAS(api, field) \
  ((api)->struct_size >= offsetof(cs_host_api, field) + sizeof((api)->field))

/* ---- status codes ------------------------------------------------------------------- */

typedef int32_t cs_status;

#define CS_OK 0
#define CS_E_MODULE (-1)      /* module-side failure; the message is in the err buffer   */
#define CS_E_INVALID (-2)     /* bad argument                                             */
#define CS_E_NOT_FOUND (-3)   /* no such key, header, row, command                        */
#define CS_E_UNAVAILABLE (-4) /* no provider for a service; module not loaded             */
#define CS_E_DB (-5)          /* database error; message in err                           */
#define CS_E_CONFLICT (-6)    /* unique constraint violated                               */
#define CS_E_STATE (-7)       /* wrong lifecycle phase (e.g. registering after create)    */
#define CS_E_TOO_LARGE (-8)   /* a size limit was exceeded                                */
#define CS_E_TIMEOUT (-9)     /* timed out waiting (pool, service)                        */
#define CS_E_DRAINING (-10)   /* the calling generation is draining                       */
#define CS_E_REFUSED (-11)    /* ABI 1.1: a channel join or socket connection is refused   */
#define CS_E_DENIED (-12)     /* ABI 1.4: a statement touches a table the module may not  */

/* ---- basic types -------------------------------------------------------------------- */

/* A borrowed string view; not NUL-terminated in general. */
typedef struct cs_str {
  const char* ptr;
  size_t len;
} cs_str;

typedef struct cs_buf cs_buf;           /* host-owned growable output buffer              */
typedef struct cs_host cs_host;         /* opaque host context, one per generation        */
typedef struct cs_instance cs_instance; /* opaque module instance, owned by the module    */
typedef struct cs_http_req cs_http_req; /* opaque request; read it through the accessors  */
typedef struct cs_http_resp cs_http_resp;
typedef struct cs_tx cs_tx;             /* an open transaction; valid inside cs_tx_fn only */
typedef struct cs_rows cs_rows;         /* a result set, host-owned until rows_free()     */

#define CS_LOG_TRACE 0
#define CS_LOG_DEBUG 1
#define CS_LOG_INFO 2
#define CS_LOG_WARN 3
#define CS_LOG_ERROR 4

#define CS_DB_SQLITE 1
#define CS_DB_POSTGRES 2

/* A typed DB value. Parameters and result cells cross the ABI as these, not as JSON. */
#define CS_VAL_NULL 0
#define CS_VAL_INT 1  /* i   */
#define CS_VAL_REAL 2 /* d   */
#define CS_VAL_TEXT 3 /* s   */
#define CS_VAL_BLOB 4 /* s   */
typedef struct cs_value {
  int32_t type;
  int64_t i;
  double d;
  cs_str s;
} cs_value;

/* ---- callbacks the host calls (module code) ------------------------------------------
 * `ud` is the user-data pointer given at registration; it must stay valid as long as the
 * generation exists (the C++ wrapper keeps it inside the module instance).
 * Every callback may write a message to `err` and return a non-zero status.            */

typedef cs_status (*cs_http_handler_fn)(void* ud, const cs_http_req* req, cs_http_resp* resp,
                                        cs_buf* err);
/* THREADS: deliveries to one module are serial and in publish order. */
typedef cs_status (*cs_event_fn)(void* ud, cs_str topic, cs_str payload_json, cs_buf* err);
/* THREADS: one run of a given timer at a time; a run still busy at the next tick skips it. */
typedef cs_status (*cs_timer_fn)(void* ud, cs_buf* err);
typedef cs_status (*cs_task_fn)(void* ud, cs_buf* err);
typedef cs_status (*cs_service_fn)(void* ud, cs_str method, cs_str request_json,
                                   cs_buf* response_json, cs_buf* err);
/* argv are the operator's arguments after the command name; out receives text. */
typedef cs_status (*cs_admin_fn)(void* ud, const cs_str* argv, size_t argc, cs_buf* out,
                                 cs_buf* err);
/* ABI 1.3: a batch route answers many requests of one route in one call: resps[i] is the
 * response to reqs[i]. A non-OK return answers every request of the call with a 500. */
typedef cs_status (*cs_http_batch_fn)(void* ud, const cs_http_req* const* reqs, cs_http_resp* const* resps,
                                      size_t n, cs_buf* err);
/* ABI 1.6: an event from the host's log with its sequence number: strictly increasing in
 * commit order, the same on every host sharing the database. Deliveries to one module are
 * serial and in sequence order, at least once: after a crash an event can come again, so a
 * consumer that must not apply it twice remembers the last sequence number it applied. */
typedef cs_status (*cs_event_seq_fn)(void* ud, uint64_t seq, cs_str topic, cs_str payload_json,
                                     cs_buf* err);
/* Runs inside BEGIN..COMMIT; a non-OK return rolls the transaction back. */
typedef cs_status (*cs_tx_fn)(void* ud, cs_tx* tx, cs_buf* err);

/* ABI 1.1: live channels over the host's WebSocket hub (Phoenix protocol).
 * The host owns sockets, joins, heartbeats and fan-out; a module decides who may join a
 * topic and what a join replies. Calls for one connection are serial and in order.
 * `identity` is what the socket-connect handler returned ("" = anonymous); `assigns` is the
 * per-join state the module wrote at join time, kept by the host across module reloads. */
typedef cs_status (*cs_socket_connect_fn)(void* ud, cs_str query, cs_str remote_addr, cs_buf* identity,
                                          cs_buf* err); /* CS_E_REFUSED refuses the upgrade (403) */
typedef struct cs_channel_handlers {
  uint32_t struct_size;
  /* CS_OK: joined, reply {"status":"ok","response":<reply_json or {}>}.
   * CS_E_REFUSED: not joined, reply {"status":"error","response":<reply_json>}. */
  cs_status (*on_join)(void* ud, uint64_t conn, cs_str topic, cs_str payload_json, cs_str identity,
                       cs_buf* reply_json, cs_buf* assigns, cs_buf* err);
  /* Client pushes on a joined topic; same reply convention. Optional (NULL: error reply). */
  cs_status (*on_event)(void* ud, uint64_t conn, cs_str topic, cs_str event, cs_str payload_json,
                        cs_str identity, cs_str assigns, cs_buf* reply_json, cs_buf* err);
  /* The join ended (leave, replaced, or the socket closed). Optional. */
  void (*on_leave)(void* ud, uint64_t conn, cs_str topic, cs_str identity, cs_str assigns);
} cs_channel_handlers;

/* ABI 1.3: how the host groups a batch route's requests. A call gets at most max_batch
 * requests; at most max_inflight calls of the route run at once (the rest queue); a request
 * that would be alone in its call waits up to max_wait_us for company. */
typedef struct cs_batch_options {
  uint32_t struct_size;
  uint32_t max_batch;    /* 1..10000  */
  uint32_t max_wait_us;  /* 0..1000000 */
  uint32_t max_inflight; /* 1..64     */
} cs_batch_options;

/* ---- host services (module -> host). APPEND-ONLY. ------------------------------------ */

typedef struct cs_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;

  /* buffers: output arguments are host-owned buffers. A module that needs one of its own
   * (e.g. to receive a service response) takes it with buf_new and returns it with buf_free;
   * buf_view stays valid until the next change to the buffer. */
  cs_status (*buf_append)(cs_buf* buf, cs_str data);
  void (*buf_clear)(cs_buf* buf);
  cs_buf* (*buf_new)(void);
  void (*buf_free)(cs_buf* buf);
  cs_str (*buf_view)(const cs_buf* buf);

  /* logging: lines carry the prefix [module@version#generation] */
  void (*log)(cs_host* host, int level, cs_str message);
  int (*log_enabled)(cs_host* host, int level);

  /* config: the module's own keys (modules.<name>.<key> in the host config), plus the
   * read-only host facts "host.secret_key_base", "host.var_dir", "host.instance_id".
   * The returned view stays valid for the life of the generation. */
  cs_status (*config_get)(cs_host* host, cs_str key, cs_str* out);
  cs_status (*config_key_at)(cs_host* host, size_t index, cs_str* out);

  /* HTTP. Register during create() only. method "*" matches any method. Pattern segments
   * ":name" capture one segment, a final "*name" captures the rest. Paths are normalised by
   * the host (duplicate slashes collapsed, trailing slash removed) before matching. */
  cs_status (*http_route)(cs_host* host, cs_str method, cs_str pattern, cs_http_handler_fn fn,
                          void* ud);
  cs_str (*req_method)(const cs_http_req* req);
  cs_str (*req_path)(const cs_http_req* req);   /* normalised, still percent-encoded */
  cs_str (*req_target)(const cs_http_req* req); /* the raw request target            */
  cs_str (*req_query)(const cs_http_req* req);  /* without '?'; empty when none      */
  cs_str (*req_body)(const cs_http_req* req);   /* fully read, within the size limit */
  cs_str (*req_remote_addr)(const cs_http_req* req);
  cs_str (*req_id)(const cs_http_req* req);
  /* case-insensitive; CS_E_NOT_FOUND when absent; index counts repeated headers */
  cs_status (*req_header)(const cs_http_req* req, cs_str name, size_t index, cs_str* out);
  cs_status (*req_header_at)(const cs_http_req* req, size_t index, cs_str* name, cs_str* value);
  cs_status (*req_param)(const cs_http_req* req, cs_str name, cs_str* out);
  cs_status (*resp_status)(cs_http_resp* resp, int code);
  /* replaces a header of the same name; Set-Cookie may repeat via resp_add_header */
  cs_status (*resp_header)(cs_http_resp* resp, cs_str name, cs_str value);
  cs_status (*resp_add_header)(cs_http_resp* resp, cs_str name, cs_str value);
  cs_status (*resp_write)(cs_http_resp* resp, cs_str chunk);

  /* database: the host's pool. tx == NULL runs in autocommit on a pooled connection.
   * SQL uses $1..$N placeholders on both backends. out may be NULL. */
  int (*db_backend)(cs_host* host);
  cs_status (*db_query)(cs_host* host, cs_tx* tx, cs_str sql, const cs_value* params,
                        size_t n_params, cs_rows** out, cs_buf* err);
  cs_status (*db_transaction)(cs_host* host, cs_tx_fn fn, void* ud, cs_buf* err);
  /* Register during create() only; applied before the generation activates, once per
   * (module, version), in version order. Expand-only: the old generation keeps running. */
  cs_status (*db_migration)(cs_host* host, int64_t version, cs_str name, cs_str sql_sqlite,
                            cs_str sql_postgres);
  size_t (*rows_count)(const cs_rows* rows);
  size_t (*rows_columns)(const cs_rows* rows);
  cs_str (*rows_column_name)(const cs_rows* rows, size_t column);
  /* the value's text/blob view stays valid until rows_free() */
  cs_status (*rows_get)(const cs_rows* rows, size_t row, size_t column, cs_value* out);
  int64_t (*rows_affected)(const cs_rows* rows);
  void (*rows_free)(cs_rows* rows);

  /* key-value store: host-owned, namespaced per module, survives reloads. ttl_ms 0 = none */
  cs_status (*kv_get)(cs_host* host, cs_str key, cs_buf* out);
  cs_status (*kv_put)(cs_host* host, cs_str key, cs_str value, uint32_t ttl_ms);
  cs_status (*kv_del)(cs_host* host, cs_str key);
  cs_status (*kv_incr)(cs_host* host, cs_str key, int64_t delta, int64_t* out);

  /* events: publish any time; subscribe during create() only. Pattern "a.b" is exact,
   * "a.*" matches any topic starting with "a.". Delivery is asynchronous, after publish
   * returns, to the subscriber's current generation. Hosts of ABI 1.6 and later append every
   * event to their log (publish: in a transaction of its own; see event_append). */
  cs_status (*event_publish)(cs_host* host, cs_str topic, cs_str payload_json);
  cs_status (*event_subscribe)(cs_host* host, cs_str pattern, cs_event_fn fn, void* ud);

  /* timers (register during create(); armed when the generation activates, disarmed
   * when it starts draining) and background tasks (any time; the task holds a lease) */
  cs_status (*timer_every)(cs_host* host, cs_str name, uint32_t period_ms, cs_timer_fn fn,
                           void* ud);
  cs_status (*task_submit)(cs_host* host, cs_task_fn fn, void* ud);
  int (*is_draining)(cs_host* host);

  /* services: provide during create(); call any time. A call takes a lease on the
   * provider's current generation. CS_E_UNAVAILABLE when nobody provides name@major. */
  cs_status (*service_provide)(cs_host* host, cs_str name, uint32_t major, cs_service_fn fn,
                               void* ud);
  cs_status (*service_call)(cs_host* host, cs_str name, uint32_t major, cs_str method,
                            cs_str request_json, cs_buf* response_json, cs_buf* err);

  /* admin commands: register during create(); the host names them "<module>.<name>" and
   * runs them through its admin API (codestatsctl run <module>.<name> ARGS...). */
  cs_status (*admin_command)(cs_host* host, cs_str name, cs_str help, cs_admin_fn fn,
                             void* ud);

  /* metrics: a monotonically increasing counter, labelled with the module */
  cs_status (*counter_add)(cs_host* host, cs_str name, int64_t delta);

  /* ---- ABI 1.1 ---- */
  /* channels: register during create(). topic_pattern is exact, or a prefix ending in '*'
   * ("users:*"). The host copies *handlers. One module may handle socket connects. */
  cs_status (*channel_handle)(cs_host* host, cs_str topic_pattern, const cs_channel_handlers* handlers,
                              void* ud);
  cs_status (*socket_connect_handler)(cs_host* host, cs_socket_connect_fn fn, void* ud);
  /* send [null,null,topic,event,payload] to every connection joined to topic; never blocks */
  cs_status (*channel_broadcast)(cs_host* host, cs_str topic, cs_str event, cs_str payload_json);
  /* send to one connection (if it is joined to topic); CS_E_NOT_FOUND when it is not */
  cs_status (*channel_push)(cs_host* host, uint64_t conn, cs_str topic, cs_str event, cs_str payload_json);

  /* ---- ABI 1.2 ---- */
  /* metrics beyond counters, any time, from any thread. `name` is [A-Za-z_][A-Za-z0-9_]*, at
   * most 64 bytes, and must not end in _total, _bucket, _sum, _count or _info (the suffixes of
   * counters and histogram series). The host exports codestats_<module>_<name>{module="..."};
   * the series is the host's, keyed by module name, so it survives reloads. A name keeps the
   * kind it was first used as: CS_E_CONFLICT when it is already the other kind (or a family
   * the host owns). CS_E_INVALID for a bad name or a value that is not finite. */
  /* a gauge: exports the last value set */
  cs_status (*gauge_set)(cs_host* host, cs_str name, double value);
  /* a histogram: counts value into buckets the host fixes per name (names ending in _seconds:
   * the route latency buckets 0.0001 .. 2.5; every other name: 1, 2, 4, ... 1024), plus
   * _sum and _count */
  cs_status (*histogram_observe)(cs_host* host, cs_str name, double value);

  /* ---- ABI 1.3 ---- */
  /* A batch route (register during create()): like http_route, but the host collects the
   * requests that arrive while earlier calls run and hands them to fn together, so that a
   * module can answer them with one database transaction. fn runs on a host thread and may
   * block; the host answers each request after the call that carried it returned.
   * Other hosts (and the request threads of this one) see no difference in HTTP terms. */
  cs_status (*http_batch_route)(cs_host* host, cs_str method, cs_str pattern, cs_http_batch_fn fn, void* ud,
                                const cs_batch_options* options);

  /* ---- ABI 1.4 ---- */
  /* Table ownership (docs/data-ownership.md). Register during create(). A module built
   * against 1.4 or later runs every statement (db_query, db_transaction, its migrations)
   * under the host's check: it may create, alter, write and read the tables it owns, read
   * the tables of the read contracts it uses and the catalogs, and nothing else; any other
   * statement fails with CS_E_DENIED and a message naming the table. Another module's data
   * is changed through that module's service. Table names: [a-z_][a-z0-9_]*, at most 63. */
  cs_status (*db_own_table)(cs_host* host, cs_str table);
  /* A read contract: tables (comma separated, all owned by this module) that other modules
   * may read, under a name "<module>.<name>" and a version. A new version of the module
   * that stops publishing a contract a loaded module uses is refused at load. */
  cs_status (*db_publish)(cs_host* host, cs_str contract, uint32_t version, cs_str tables);
  /* This module reads contract@version. Its load is refused when the contract's owner has
   * published contracts but not this one. */
  cs_status (*db_use)(cs_host* host, cs_str contract, uint32_t version);

  /* ---- ABI 1.5 ---- */
  /* This response failed (an error the module caught, e.g. one request of a batch): the
   * host forgets what was set on it and answers the request 500 with its own body, log line
   * and metric, as for a handler that returned non-OK. The batch's other requests keep
   * their answers. */
  cs_status (*resp_fail)(cs_http_resp* resp, cs_str why);

  /* ---- ABI 1.6 ---- */
  /* The event log (docs/events.md). Appends an event to the log inside the transaction tx:
   * it exists if and only if the transaction commits, and is delivered after the commit. */
  cs_status (*event_append)(cs_host* host, cs_tx* tx, cs_str topic, cs_str payload_json);
  /* Like event_subscribe (register during create()), with the event's sequence number. The
   * topic "events.lost" (payload {"from":F,"through":T}) tells a consumer that events F..T
   * were trimmed before it read them (it lagged past events.max_age_s): rebuild from tables. */
  cs_status (*event_consume)(cs_host* host, cs_str pattern, cs_event_seq_fn fn, void* ud);
} cs_host_api;

/* ---- the module descriptor (module -> host). APPEND-ONLY. ---------------------------- */

typedef struct cs_module {
  uint32_t struct_size;
  uint16_t abi_major; /* CS_ABI_MAJOR the module was built against */
  uint16_t abi_minor; /* CS_ABI_MINOR the module was built against */
  const char* name;     /* must equal the name the host loads it as; copied at load */
  const char* version;  /* the module's own version, e.g. "1.4.3"; copied at load   */
  const char* build_id; /* build stamp shown to operators; copied at load           */
  uint32_t state_schema; /* format version of export_state blobs                    */

  /* Creates the instance and registers routes, subscriptions, timers, services, admin
   * commands and migrations (staged: nothing is live until activation). Required. */
  cs_status (*create)(const cs_host_api* api, cs_host* host, cs_instance** out, cs_buf* err);
  /* Before activation; a failure rejects the load and the old generation keeps serving. */
  cs_status (*start)(cs_instance* inst, cs_buf* err);
  /* After the drain, when no other call into this generation is in flight. */
  cs_status (*stop)(cs_instance* inst, cs_buf* err);
  /* Hand-over: the old generation exports after stop(); the new one imports. A snapshot
   * is also imported before activation (final = 0) for a warm start. Optional. */
  cs_status (*export_state)(cs_instance* inst, cs_buf* out, cs_buf* err);
  cs_status (*import_state)(cs_instance* inst, uint32_t from_schema, cs_str blob, int final,
                            cs_buf* err);
  /* Frees the instance. Required. Nothing the module made may be used afterwards. */
  void (*destroy)(cs_instance* inst);
} cs_module;

typedef const cs_module* (*cs_module_entry_fn)(uint16_t host_abi_major, uint16_t host_abi_minor);

/* The only symbol a module exports. */
CS_EXPORT const cs_module* cs_module_entry_v1(uint16_t host_abi_major, uint16_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* CODESTATS_MODULE_ABI_H */
