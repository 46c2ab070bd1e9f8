// The host's event log service (docs/events.md): producers append in their transactions;
// one EventConsumer per subscribing module reads the log at its own pace; local commits and
// (on PostgreSQL) NOTIFY from any host sharing the database wake the consumers. A
// maintenance thread exports each consumer's lag, warns about laggards (rate limited) and
// trims what every live cursor has passed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "db/database.hpp"
#include "events/event_consumer.hpp"
#include "events/event_log.hpp"
#include "events/event_window.hpp"
#include "events/wake_signal.hpp"
#include "util/log_limiter.hpp"

namespace codestats::host {
class Metrics;
}

namespace codestats::host::events {

class PgListener;

struct EventBusSettings {
  std::string hostId;  // names this host's cursors: "<hostId>/<module>"
  std::chrono::milliseconds pollInterval{1000};
  std::chrono::milliseconds trimInterval{10000};
  int64_t maxAgeMs = 3600 * 1000;
  int64_t lagWarnMs = 30 * 1000;
  std::string postgresConninfo;  // set on PostgreSQL: the listening session's
};

struct ConsumerStatus {
  uint64_t cursor = 0;
  uint64_t lagEvents = 0;
  double lagSeconds = 0;
  uint64_t delivered = 0;
};

class EventBus {
 public:
  EventBus(db::Pool& pool, Metrics& metrics, EventBusSettings settings, Deliver deliver);
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Creates the tables and starts the listener (PostgreSQL) and the maintenance thread.
  void open();
  // Stops every consumer (writing their cursors), the listener and the maintenance thread.
  void close();

  // Producers. Inside the producer's write transaction, just before its commit; returns
  // the events with their numbers, for committed():
  std::vector<LoggedEvent> appendInTransaction(db::Connection& c, std::vector<PendingEvent> events);
  // After that transaction committed (and is durable), with what appendInTransaction()
  // returned: the events join the window when they follow it (the readers then read them
  // from memory), this host's consumers wake, and (on PostgreSQL) the notifier is asked to
  // wake every other host's.
  void committed(std::vector<LoggedEvent> appended);
  // Instead of committed(), when that transaction did not commit.
  void abandoned(const std::vector<LoggedEvent>& appended);
  // An event that reports no change of its own: appended in a transaction of its own.
  void publish(const std::string& producer, const std::string& topic, const std::string& payload);

  // Consumers. prepare() before the module's start(): the cursor exists from then on (at
  // the log's head for a module this host never ran), so whatever the module reads from
  // its tables during start() is at or after it. start() when the module is active;
  // stop() when it is unloaded and at shutdown.
  void prepareConsumer(const std::string& module);
  void startConsumer(const std::string& module);
  void stopConsumer(const std::string& module);
  std::optional<ConsumerStatus> status(const std::string& module) const;

  // Host upgrade. The old host: pauseConsumers() stops every consumer (cursors written) and
  // returns their modules; resumeConsumers() starts them again from their cursors when the
  // upgrade fails. The new host: holdConsumers() before loading modules makes
  // startConsumer() wait, releaseConsumers() starts them (once the WebSockets moved), so
  // every event is delivered once across the two.
  std::vector<std::string> pauseConsumers();
  void resumeConsumers(const std::vector<std::string>& modules);
  void holdConsumers();
  void releaseConsumers();

  const std::string& hostId() const { return settings_.hostId; }

 private:
  // The events after `after`: from the window when it holds them (the host's readers are
  // usually at the same place, and its own commits extend it), else one read of the database.
  LogSlice readAfter(uint64_t after);
  // The window keeps what the slowest consumer has not passed.
  void dropPassed();
  void maintain();
  // PostgreSQL: one NOTIFY per burst of commits, from its own thread and outside any
  // transaction (event_log.hpp says why).
  void notifier();
  void exportLag(db::Connection& c);
  std::string listenerName() const;    // its pg_stat_activity.application_name
  std::string listenerPrefix() const;  // every listener of this log's application_name starts so
  std::string cursorName(const std::string& module) const { return settings_.hostId + "/" + module; }
  static int64_t nowMs();

  db::Pool& pool_;
  Metrics& metrics_;
  const EventBusSettings settings_;
  Deliver deliver_;
  WakeSignal wake_;

  mutable std::mutex mu_;  // guards consumers_ and lag_
  std::map<std::string, std::unique_ptr<EventConsumer>> consumers_;
  std::map<std::string, std::pair<uint64_t, double>> lag_;  // module -> (events, seconds)
  bool holding_ = false;
  std::vector<std::string> held_;  // startConsumer() while holding

  // Rows per read: an ingest batch's row holds ~20 events, a row at most 256.
  static constexpr size_t kBatchRows = 64;
  std::mutex readMu_;    // one database read at a time; the others then find it in the window
  std::mutex windowMu_;  // guards window_ and what follows; never held during a database read
  EventWindow window_;
  // Whether the database may hold events after the window's end that it lacks: a reader at
  // the end reads the database only then, else a wake-up by a commit whose events it already
  // read from memory would cost a SELECT. Bumped when another host notifies or a commit of
  // this host leaves a hole; a complete read (not cut at its row limit) catches up to the
  // count it saw before it started. A read also goes to the database once half a poll
  // interval passed since the last complete one (another process's commit wakes nobody here).
  uint64_t outsideCommits_ = 1;  // the window starts unknown
  uint64_t outsideCommitsRead_ = 0;
  std::chrono::steady_clock::time_point completeReadAt_{};
  std::atomic<int64_t>& reads_;  // codestats_event_log_reads_total
  // Called for another host's notification.
  void outsideCommit();

  std::unique_ptr<PgListener> listener_;
  std::thread notifier_;
  std::string logTag_;                       // PostgreSQL: a hash of the log's database and schema (set by open())
  std::atomic<bool> othersListening_{true};  // another host's listener is connected (PostgreSQL)
  std::mutex notifyMu_;
  std::condition_variable notifyCv_;
  bool notifyPending_ = false, notifyStop_ = false;
  std::mutex maintenanceMu_;
  std::condition_variable maintenanceCv_;
  bool stopping_ = false;
  std::thread maintenance_;
  LogLimiter lagWarnings_{std::chrono::seconds(10)};
  LogLimiter maintenanceErrors_{std::chrono::seconds(10)};
  LogLimiter undecodable_{std::chrono::seconds(10)};
};

}  // namespace codestats::host::events
