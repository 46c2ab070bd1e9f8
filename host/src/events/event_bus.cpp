#include "events/event_bus.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include "db/host_statements.hpp"
#include "events/pg_listener.hpp"
#include "services/metrics.hpp"

namespace codestats::host::events {

EventBus::EventBus(db::Pool& pool, Metrics& metrics, EventBusSettings settings, Deliver deliver)
    : pool_(pool), metrics_(metrics), settings_(std::move(settings)), deliver_(std::move(deliver)),
      reads_(metrics.counter("codestats_event_log_reads_total")) {}

EventBus::~EventBus() { close(); }

int64_t EventBus::nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

std::string hash8(const std::string& s) {
  char out[9];
  std::snprintf(out, sizeof out, "%08x", static_cast<unsigned>(std::hash<std::string>{}(s)&0xffffffffu));
  return out;
}

}  // namespace

std::string EventBus::listenerPrefix() const { return "codestatsd events " + logTag_ + " "; }

std::string EventBus::listenerName() const {
  // application_name keeps 63 bytes: which log (a hash of database and schema: hosts of
  // another log in the same database are no peers), which host (a hash of the whole host id),
  // then the end of the host id, the part a reader tells hosts apart by.
  const std::string& id = settings_.hostId;
  return listenerPrefix() + hash8(id) + " " + (id.size() > 27 ? id.substr(id.size() - 27) : id);
}

void EventBus::committed(std::vector<LoggedEvent> appended) {
  bool wake = true;
  if (!appended.empty()) {
    EventWindow::Placed placed;
    {
      std::lock_guard lock(windowMu_);
      placed = window_.addCommitted(std::move(appended));
      if (placed == EventWindow::Placed::waitsForOthers) ++outsideCommits_;  // the readers read the hole
    }
    // Behind this host's own transactions: the first of them wakes the readers when it reports.
    wake = placed != EventWindow::Placed::waitsForOwn;
    dropPassed();
  }
  if (wake) wake_.notify();
  // A NOTIFY costs PostgreSQL a transaction and a signal to every listener: none is sent
  // while no other host listens (looked up every events.poll_ms; a host that just started
  // reads by its poll until then).
  if (!notifier_.joinable() || !othersListening_.load(std::memory_order_relaxed)) return;
  {
    std::lock_guard lock(notifyMu_);
    notifyPending_ = true;
  }
  notifyCv_.notify_one();
}

void EventBus::notifier() {
  LogLimiter errors(std::chrono::seconds(10));
  std::unique_lock lock(notifyMu_);
  for (;;) {
    notifyCv_.wait(lock, [this] { return notifyPending_ || notifyStop_; });
    if (notifyStop_) return;
    notifyPending_ = false;  // commits from now on ask for the next one
    lock.unlock();
    try {
      EventLog::notify(*pool_.acquire(), settings_.hostId);
      ++metrics_.counter("codestats_event_notifies_total");
    } catch (const std::exception& e) {
      uint64_t suppressed = 0;  // the other hosts still read every events.poll_ms
      if (errors.allow(suppressed))
        spdlog::warn("[host] events: NOTIFY failed ({} similar lines left out): {}", suppressed, e.what());
    }
    lock.lock();
  }
}

void EventBus::open() {
  EventLog::createTables(pool_);
  if (!settings_.postgresConninfo.empty()) logTag_ = hash8(EventLog::logIdentity(*pool_.acquire()));
  if (!settings_.postgresConninfo.empty()) notifier_ = std::thread([this] { notifier(); });
  if (!settings_.postgresConninfo.empty())
    listener_ = std::make_unique<PgListener>(settings_.postgresConninfo, listenerName(), EventLog::kChannel,
                                             settings_.hostId, [this] { outsideCommit(); });
  maintenance_ = std::thread([this] { maintain(); });
}

void EventBus::close() {
  std::map<std::string, std::unique_ptr<EventConsumer>> consumers;
  {
    std::lock_guard lock(mu_);
    consumers.swap(consumers_);
  }
  consumers.clear();  // each stops and writes its cursor
  {
    std::lock_guard lock(maintenanceMu_);
    stopping_ = true;
  }
  maintenanceCv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  {
    std::lock_guard lock(notifyMu_);
    notifyStop_ = true;
  }
  notifyCv_.notify_all();
  if (notifier_.joinable()) notifier_.join();
  listener_.reset();
}

std::vector<LoggedEvent> EventBus::appendInTransaction(db::Connection& c, std::vector<PendingEvent> events) {
  const int64_t now = nowMs();
  const std::vector<uint64_t> numbers = EventLog::append(c, pool_.backend(), events, now);
  metrics_.counter("codestats_events_appended_total") += static_cast<int64_t>(events.size());
  std::vector<LoggedEvent> appended;
  appended.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i)
    appended.push_back(LoggedEvent{numbers[i], std::move(events[i].topic), std::move(events[i].payload), now});
  if (!numbers.empty()) {
    std::lock_guard lock(windowMu_);
    window_.appending(numbers.front(), numbers.back());
  }
  return appended;
}

void EventBus::abandoned(const std::vector<LoggedEvent>& appended) {
  if (appended.empty()) return;
  {
    std::lock_guard lock(windowMu_);
    window_.abandon(appended.front().seq);
    // A later commit may wait behind these numbers, which now nobody fills (PostgreSQL's
    // sequence skips them): the readers read the database.
    ++outsideCommits_;
  }
  wake_.notify();
}

void EventBus::publish(const std::string& producer, const std::string& topic, const std::string& payload) {
  uint64_t durableAt = 0;
  std::vector<LoggedEvent> appended;
  {
    auto conn = pool_.acquireWriter();
    conn->begin();
    try {
      durableAt = db::finishTransaction(*conn, [&] {
        appended = appendInTransaction(*conn, {PendingEvent{topic, producer, payload}});
      });
    } catch (...) {
      abandoned(appended);
      throw;
    }
  }  // the writer serves the next transaction while this one syncs
  pool_.syncThrough(durableAt);
  committed(std::move(appended));
}

void EventBus::prepareConsumer(const std::string& module) {
  {
    std::lock_guard lock(mu_);
    if (consumers_.count(module)) return;
  }
  uint64_t cursor = EventLog::openCursor(pool_, cursorName(module), nowMs());
  ConsumerSettings cs;
  cs.pollInterval = settings_.pollInterval;
  // A cursor not written within events.max_age_s counts as a host gone away: write it often enough.
  cs.heartbeatInterval = std::min(cs.heartbeatInterval, std::chrono::milliseconds(settings_.maxAgeMs / 4));
  auto consumer = std::make_unique<EventConsumer>(
      module, cursorName(module), cursor, pool_, wake_, [this](uint64_t after) { return readAfter(after); }, deliver_,
      metrics_, cs);
  std::lock_guard lock(mu_);
  consumers_.emplace(module, std::move(consumer));
}

void EventBus::outsideCommit() {
  {
    std::lock_guard lock(windowMu_);
    ++outsideCommits_;
  }
  wake_.notify();
}

LogSlice EventBus::readAfter(uint64_t after) {
  static const auto none = std::make_shared<const std::vector<LoggedEvent>>();
  // From memory: inside the window, or at its end while nothing can have committed beyond it.
  auto fromWindow = [&]() -> std::optional<LogSlice> {
    if (auto slice = window_.sliceAfter(after)) return slice;
    if (window_.known() && after == window_.through() && outsideCommitsRead_ == outsideCommits_ &&
        std::chrono::steady_clock::now() - completeReadAt_ < settings_.pollInterval / 2)
      return LogSlice{none, 0, false, 0, after};
    return std::nullopt;
  };
  {
    std::lock_guard lock(windowMu_);
    if (auto slice = fromWindow()) return *slice;
  }
  std::lock_guard readLock(readMu_);
  uint64_t outsideBefore = 0;
  std::chrono::steady_clock::time_point readAt;
  {
    std::lock_guard lock(windowMu_);  // another reader may have read it meanwhile
    if (auto slice = fromWindow()) return *slice;
    outsideBefore = outsideCommits_;
    readAt = std::chrono::steady_clock::now();
  }
  LogRead read = EventLog::read(*pool_.acquire(), after, kBatchRows);
  ++reads_;
  if (read.undecodable) {
    uint64_t suppressed = 0;
    if (undecodable_.allow(suppressed))
      spdlog::warn(
          "[host] events: left out {} rows of codestats_events that do not hold their events ({} similar "
          "lines left out)",
          read.undecodable, suppressed);
  }
  auto events = std::make_shared<const std::vector<LoggedEvent>>(std::move(read.events));
  {
    std::lock_guard lock(windowMu_);
    window_.addRead(after, events, read.through, read.full, read.trimmedThrough);
    if (!read.full) {  // it saw everything committed before it started
      outsideCommitsRead_ = std::max(outsideCommitsRead_, outsideBefore);
      completeReadAt_ = std::max(completeReadAt_, readAt);
    }
  }
  return LogSlice{events, 0, read.full, read.trimmedThrough, read.through};
}

void EventBus::dropPassed() {
  uint64_t slowest = UINT64_MAX;  // no consumer: the window keeps only its end
  {
    std::lock_guard lock(mu_);
    for (const auto& [module, consumer] : consumers_) slowest = std::min(slowest, consumer->cursor());
  }
  std::lock_guard lock(windowMu_);
  window_.dropThrough(slowest);
}

void EventBus::startConsumer(const std::string& module) {
  std::lock_guard lock(mu_);
  if (holding_) {
    held_.push_back(module);
    return;
  }
  auto it = consumers_.find(module);
  if (it != consumers_.end()) it->second->start();
}

std::vector<std::string> EventBus::pauseConsumers() {
  std::vector<std::string> modules;
  {
    std::lock_guard lock(mu_);
    for (const auto& [module, consumer] : consumers_) modules.push_back(module);
  }
  for (const auto& m : modules) stopConsumer(m);
  return modules;
}

void EventBus::resumeConsumers(const std::vector<std::string>& modules) {
  for (const auto& m : modules) {
    try {
      prepareConsumer(m);
      startConsumer(m);
    } catch (const std::exception& e) {
      spdlog::error("[events] cannot resume the consumer of '{}': {}", m, e.what());
    }
  }
}

void EventBus::holdConsumers() {
  std::lock_guard lock(mu_);
  holding_ = true;
}

void EventBus::releaseConsumers() {
  std::lock_guard lock(mu_);
  holding_ = false;
  for (const auto& module : held_)
    if (auto it = consumers_.find(module); it != consumers_.end()) it->second->start();
  held_.clear();
}

void EventBus::stopConsumer(const std::string& module) {
  std::unique_ptr<EventConsumer> consumer;
  {
    std::lock_guard lock(mu_);
    auto it = consumers_.find(module);
    if (it == consumers_.end()) return;
    consumer = std::move(it->second);
    consumers_.erase(it);
    lag_.erase(module);
  }
  consumer->stop();  // outside the lock: it may wait for a delivery to finish
}

std::optional<ConsumerStatus> EventBus::status(const std::string& module) const {
  std::lock_guard lock(mu_);
  auto it = consumers_.find(module);
  if (it == consumers_.end()) return std::nullopt;
  ConsumerStatus s;
  s.cursor = it->second->cursor();
  s.delivered = it->second->delivered();
  if (auto l = lag_.find(module); l != lag_.end()) {
    s.lagEvents = l->second.first;
    s.lagSeconds = l->second.second;
  }
  return s;
}

void EventBus::exportLag(db::Connection& c) {
  const uint64_t head = EventLog::head(c);
  metrics_.gauge("codestats_event_log_head").store(static_cast<double>(head));
  std::vector<std::pair<std::string, uint64_t>> cursors;
  {
    std::lock_guard lock(mu_);
    for (const auto& [module, consumer] : consumers_) cursors.emplace_back(module, consumer->cursor());
  }
  const int64_t now = nowMs();
  for (const auto& [module, cursor] : cursors) {
    uint64_t events = head > cursor ? head - cursor : 0;
    double seconds = 0;
    if (events > 0) {
      if (auto created = EventLog::firstCreatedAfter(c, cursor))
        seconds = std::max<int64_t>(0, now - *created) / 1000.0;
    }
    const std::string labels = Metrics::label("module", module);
    metrics_.gauge("codestats_event_lag_events", labels).store(static_cast<double>(events));
    metrics_.gauge("codestats_event_lag_seconds", labels).store(seconds);
    {
      std::lock_guard lock(mu_);
      if (consumers_.count(module)) lag_[module] = {events, seconds};
    }
    uint64_t suppressed = 0;
    if (seconds * 1000 >= static_cast<double>(settings_.lagWarnMs) && lagWarnings_.allow(suppressed))
      spdlog::warn("[host] events: {} is {} events ({:.1f} s) behind the log ({} similar lines left out)", module,
                   events, seconds, suppressed);
  }
}

void EventBus::maintain() {
  auto lastTrim = std::chrono::steady_clock::now();
  std::unique_lock lock(maintenanceMu_);
  while (!stopping_) {
    maintenanceCv_.wait_for(lock, settings_.pollInterval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    try {
      {
        auto conn = pool_.acquire();
        exportLag(*conn);
        if (notifier_.joinable()) {
          const int64_t peers = EventLog::otherListeners(*conn, listenerPrefix(), listenerName());
          othersListening_.store(peers > 0, std::memory_order_relaxed);
          metrics_.gauge("codestats_event_notify_peers").store(static_cast<double>(peers));
        }
      }
      if (std::chrono::steady_clock::now() - lastTrim >= settings_.trimInterval) {
        lastTrim = std::chrono::steady_clock::now();
        TrimResult r = EventLog::trim(pool_, nowMs(), settings_.maxAgeMs);
        metrics_.counter("codestats_event_log_trimmed_total") += r.removed;
        if (r.lostThrough)
          spdlog::warn(
              "[host] events: trimmed events up to {} older than events.max_age_s that a consumer had not read",
              r.lostThrough);
      }
    } catch (const std::exception& e) {
      uint64_t suppressed = 0;
      if (maintenanceErrors_.allow(suppressed))
        spdlog::warn("[host] events: maintenance failed ({} similar lines left out): {}", suppressed, e.what());
    }
    lock.lock();
  }
}

}  // namespace codestats::host::events
