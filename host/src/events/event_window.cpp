#include "events/event_window.hpp"

#include <algorithm>

namespace codestats::host::events {
namespace {

// The events numbered after `seq` (a transaction or read that straddles the window's end).
std::vector<LoggedEvent> after(const std::vector<LoggedEvent>& events, uint64_t seq) {
  auto first =
      std::upper_bound(events.begin(), events.end(), seq, [](uint64_t s, const LoggedEvent& e) { return s < e.seq; });
  return std::vector<LoggedEvent>(first, events.end());
}

}  // namespace

std::optional<LogSlice> EventWindow::sliceAfter(uint64_t seq) const {
  if (pieces_.empty() || seq < pieces_.front().after || seq >= through_) return std::nullopt;
  // The first piece that ends past `seq` (pieces follow each other, so it starts at or before it).
  auto piece =
      std::upper_bound(pieces_.begin(), pieces_.end(), seq, [](uint64_t s, const Piece& p) { return s < p.through; });
  const auto& events = *piece->events;
  auto first =
      std::upper_bound(events.begin(), events.end(), seq, [](uint64_t s, const LoggedEvent& e) { return s < e.seq; });
  const bool more = piece + 1 != pieces_.end() || piece->full;
  return LogSlice{piece->events, static_cast<size_t>(first - events.begin()), more, piece->trimmedThrough,
                  piece->through};
}

void EventWindow::addRead(uint64_t from, const std::shared_ptr<const std::vector<LoggedEvent>>& events,
                          uint64_t through, bool full, uint64_t trimmedThrough) {
  if (through == 0) {
    // Nothing after `from` was committed: the window may start there, empty.
    if (!known_ || from > through_) {
      pieces_.clear();
      events_ = 0;
      known_ = true;
      through_ = from;
      joinWaiting();
    }
    return;
  }
  if (known_ && through <= through_) return;  // nothing the window lacks
  if (known_ && from <= through_) {
    // It covers everything in (from, through], so the part after the window's end joins it.
    auto rest = from == through_ ? events : std::make_shared<const std::vector<LoggedEvent>>(after(*events, through_));
    append(Piece{through_, through, full, trimmedThrough, std::move(rest)});
  } else {
    // Ahead of the window: what lies between is unknown here, so it starts over.
    pieces_.clear();
    events_ = 0;
    known_ = true;
    through_ = from;
    append(Piece{from, through, full, trimmedThrough, events});
  }
  joinWaiting();
  enforceCap();
}

void EventWindow::appending(uint64_t first, uint64_t last) {
  appending_[first] = last;
  // One that never reported nor rolled back (a caller's bug) only costs a read later on.
  while (appending_.size() > maxWaiting_) appending_.erase(appending_.begin());
}

void EventWindow::abandon(uint64_t first) { appending_.erase(first); }

EventWindow::Placed EventWindow::addCommitted(std::vector<LoggedEvent> events) {
  if (events.empty()) return Placed::joined;
  const uint64_t first = events.front().seq, last = events.back().seq;
  appending_.erase(first);
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].seq != first + i)
      return Placed::waitsForOthers;                      // not one after the other: only a read can place them
  if (known_ && last <= through_) return Placed::joined;  // a read brought them already
  if (known_ && first <= through_ + 1) {
    if (first <= through_) events = after(events, through_);
    append(Piece{through_, last, false, 0, std::make_shared<const std::vector<LoggedEvent>>(std::move(events))});
    joinWaiting();
    enforceCap();
    return Placed::joined;
  }
  waiting_[first] = std::move(events);
  // Nobody fills the hole before them (no reader reads, or it takes long): the oldest go,
  // a reader finds them in the database.
  while (waiting_.size() > maxWaiting_) waiting_.erase(waiting_.begin());
  return known_ && holeIsOwn(first) ? Placed::waitsForOwn : Placed::waitsForOthers;
}

bool EventWindow::holeIsOwn(uint64_t before) const {
  for (uint64_t next = through_ + 1; next < before;) {
    if (auto a = appending_.find(next); a != appending_.end()) {
      next = a->second + 1;
    } else if (auto w = waiting_.find(next); w != waiting_.end()) {
      next = w->second.back().seq + 1;
    } else {
      return false;
    }
  }
  return true;
}

void EventWindow::dropThrough(uint64_t seq) {
  while (!pieces_.empty() && pieces_.front().through <= seq) {
    events_ -= pieces_.front().events->size();
    pieces_.pop_front();
  }
  // Waiting transactions every reader has passed (a host without readers never learns
  // where the log is, so its commits would only wait).
  while (!waiting_.empty() && waiting_.begin()->second.back().seq <= seq) waiting_.erase(waiting_.begin());
}

void EventWindow::append(Piece piece) {
  events_ += piece.events->size();
  through_ = piece.through;
  known_ = true;
  pieces_.push_back(std::move(piece));
}

void EventWindow::joinWaiting() {
  if (!known_) return;
  while (!waiting_.empty()) {
    auto it = waiting_.begin();
    const uint64_t first = it->first, last = it->second.back().seq;
    if (last <= through_) {  // a read brought them
      waiting_.erase(it);
      continue;
    }
    if (first > through_ + 1) return;  // a hole before them still
    std::vector<LoggedEvent> events = std::move(it->second);
    waiting_.erase(it);
    if (first <= through_) events = after(events, through_);
    append(Piece{through_, last, false, 0, std::make_shared<const std::vector<LoggedEvent>>(std::move(events))});
  }
}

void EventWindow::enforceCap() {
  while (events_ > maxEvents_ && pieces_.size() > 1) {
    events_ -= pieces_.front().events->size();
    pieces_.pop_front();
  }
}

}  // namespace codestats::host::events
