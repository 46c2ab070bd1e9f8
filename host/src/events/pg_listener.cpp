#include "events/pg_listener.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "util/log_limiter.hpp"

namespace codestats::host::events {
namespace {

// Waits at most this long in poll(), so a stop is seen quickly.
constexpr int kPollMs = 200;

// Returns an open connection that listens on `channel`, or nullptr. `name` shows in
// pg_stat_activity.application_name (the conninfo may be key=value text or a URI: it is
// expanded as dbname, and the later application_name overrides one set in it).
PGconn* listen(const std::string& conninfo, const std::string& name, const std::string& channel, std::string& error) {
  const char* keys[] = {"dbname", "application_name", nullptr};
  const char* values[] = {conninfo.c_str(), name.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
    PQfinish(c);
    return nullptr;
  }
  char* quoted = PQescapeIdentifier(c, channel.c_str(), channel.size());
  std::string sql = std::string("LISTEN ") + (quoted ? quoted : channel.c_str());
  PQfreemem(quoted);
  PGresult* r = PQexec(c, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) error = PQerrorMessage(c);
  PQclear(r);
  if (!ok || PQsetnonblocking(c, 1) != 0) {
    PQfinish(c);
    return nullptr;
  }
  return c;
}

}  // namespace

PgListener::PgListener(std::string conninfo, std::string applicationName, std::string channel, std::string ownPayload,
                       std::function<void()> wake)
    : conninfo_(std::move(conninfo)), applicationName_(std::move(applicationName)), channel_(std::move(channel)),
      ownPayload_(std::move(ownPayload)), wake_(std::move(wake)) {
  thread_ = std::thread([this] { run(); });
}

PgListener::~PgListener() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void PgListener::run() {
  LogLimiter limiter(std::chrono::seconds(10));
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    std::string error;
    PGconn* c = listen(conninfo_, applicationName_, channel_, error);
    if (!c) {
      uint64_t suppressed = 0;
      if (limiter.allow(suppressed))
        spdlog::warn("[host] events: cannot listen for notifications ({} similar lines left out): {}", suppressed,
                     error);
      for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stopping_;
           waited += std::chrono::milliseconds(kPollMs))
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    if (reconnects_.fetch_add(1) > 0) spdlog::info("[host] events: listening again after a reconnect");
    backoff = std::chrono::milliseconds(100);
    wake_();  // anything appended while nobody listened
    while (!stopping_) {
      pollfd p{PQsocket(c), POLLIN, 0};
      int n = ::poll(&p, 1, kPollMs);
      if (n < 0) continue;  // EINTR
      if (n == 0) continue;
      if (PQconsumeInput(c) == 0) break;  // the session is gone: reconnect
      bool any = false;
      while (PGnotify* note = PQnotifies(c)) {
        any = any || ownPayload_ != note->extra;
        PQfreemem(note);
      }
      if (any) wake_();
    }
    if (!stopping_) {
      uint64_t suppressed = 0;
      if (limiter.allow(suppressed))
        spdlog::warn("[host] events: the listening session ended ({} similar lines left out): {}", suppressed,
                     PQerrorMessage(c));
    }
    PQfinish(c);
  }
}

}  // namespace codestats::host::events
