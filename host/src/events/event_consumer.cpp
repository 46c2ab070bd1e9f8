#include "events/event_consumer.hpp"

#include <spdlog/spdlog.h>

#include "services/metrics.hpp"

namespace codestats::host::events {

EventConsumer::EventConsumer(std::string module, std::string cursorName, uint64_t cursor, db::Pool& pool,
                             WakeSignal& wake, ReadLog read, Deliver deliver, Metrics& metrics,
                             ConsumerSettings settings)
    : module_(std::move(module)), cursorName_(std::move(cursorName)), pool_(pool), wake_(wake), read_(std::move(read)),
      deliver_(std::move(deliver)), settings_(settings),
      delay_(metrics.histogram("codestats_event_delivery_delay_seconds", Metrics::label("module", module_))),
      deliveredTotal_(metrics.counter("codestats_events_delivered_total", Metrics::label("module", module_))),
      lostTotal_(metrics.counter("codestats_events_lost_total", Metrics::label("module", module_))), cursor_(cursor),
      savedCursor_(cursor), savedAt_(std::chrono::steady_clock::now()) {}

EventConsumer::~EventConsumer() { stop(); }

void EventConsumer::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void EventConsumer::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  wake_.poke();
  thread_.join();
  save(true);
}

int64_t EventConsumer::nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void EventConsumer::run() {
  uint64_t seen = wake_.count();
  while (!stopping_) {
    drain();  // after a database error the cursor stays: the next wake tries again
    wake_.wait(seen, settings_.pollInterval, [this] { return stopping_.load(); });
  }
}

void EventConsumer::drain() {
  while (!stopping_) {
    const uint64_t from = cursor();
    LogSlice slice;
    try {
      slice = read_(from);
    } catch (const std::exception& e) {
      uint64_t suppressed = 0;
      if (dbErrors_.allow(suppressed))
        spdlog::warn("[host] events: {} cannot read the log ({} similar lines left out): {}", module_, suppressed,
                     e.what());
      return;
    }
    if (slice.trimmedThrough > from) {
      // The age cap removed events this module never saw: it must rebuild what it derives
      // from them (docs/events.md, "events.lost").
      spdlog::warn("[host] events: {} lagged past events.max_age_s; events {}..{} were trimmed unread", module_,
                   from + 1, slice.trimmedThrough);
      lostTotal_ += static_cast<int64_t>(slice.trimmedThrough - from);
      deliver_(module_, LoggedEvent{slice.trimmedThrough, "events.lost",
                                    "{\"from\":" + std::to_string(from + 1) +
                                        ",\"through\":" + std::to_string(slice.trimmedThrough) + "}",
                                    nowMs()});
      cursor_.store(slice.trimmedThrough, std::memory_order_release);
      continue;
    }
    const std::vector<LoggedEvent>& events = *slice.events;
    for (size_t i = slice.from; i < events.size(); ++i) {
      if (stopping_) return;
      const LoggedEvent& e = events[i];
      deliver_(module_, e);
      cursor_.store(e.seq, std::memory_order_release);
      delivered_.fetch_add(1, std::memory_order_relaxed);
      deliveredTotal_.fetch_add(1, std::memory_order_relaxed);
      int64_t delayMs = nowMs() - e.createdAtMs;
      delay_.observeNs(std::max<int64_t>(0, delayMs) * 1000000);
    }
    // Past rows that gave nothing to deliver (left out as undecodable), or a reader would
    // read them again at every wake-up.
    if (slice.through > cursor()) cursor_.store(slice.through, std::memory_order_release);
    save(false);
    if (!slice.more) return;
  }
}

void EventConsumer::save(bool force) {
  const uint64_t c = cursor();
  const auto now = std::chrono::steady_clock::now();
  const auto since = now - savedAt_;
  if (!force && !(c != savedCursor_ && since >= settings_.saveInterval) && since < settings_.heartbeatInterval) return;
  try {
    EventLog::saveCursor(pool_, cursorName_, c, nowMs());
    savedCursor_ = c;
    savedAt_ = now;
  } catch (const std::exception& e) {
    uint64_t suppressed = 0;
    if (dbErrors_.allow(suppressed))
      spdlog::warn("[host] events: {} cannot write its cursor ({} similar lines left out): {}", module_, suppressed,
                   e.what());
  }
}

}  // namespace codestats::host::events
