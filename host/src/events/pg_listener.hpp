// One PostgreSQL session outside the pool that LISTENs on the event log's channel and calls
// `wake` for every notification but this host's own (payload `ownPayload`: its commits woke
// its readers already), on its own thread. A notification only says "read the log": after a
// reconnect it calls `wake` too, since notifications sent meanwhile are gone.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace codestats::host::events {

class PgListener {
 public:
  // applicationName: what pg_stat_activity shows for the session (at most 63 bytes kept).
  PgListener(std::string conninfo, std::string applicationName, std::string channel, std::string ownPayload,
             std::function<void()> wake);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  void run();

  const std::string conninfo_, applicationName_, channel_, ownPayload_;
  std::function<void()> wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> reconnects_{0};
  std::thread thread_;
};

}  // namespace codestats::host::events
