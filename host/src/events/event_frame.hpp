// How one appending transaction's events are stored in one row of codestats_events (a
// frame): one row per transaction instead of one per event, so an ingest batch of 20
// pulses writes one row, one index entry and one statement (bench/README.md, "The event
// log"). Pure code: no database here.
//
// A frame of n events is the row (seq = the position of its last event, events = n, topic,
// payload). For n = 1 the columns are the event's own. For n > 1:
//   topic   - the topic when all n share it, else the n topics joined by '\n' (topics never
//             contain one: event_append and event_publish refuse them);
//   payload - each payload preceded by its length in bytes and ':' ("3:{…}2:[]"), then
//             packed with LZ4 into the column `packed`, payload left empty: an ingest
//             batch's 20 pulse events are ~8 KB of similar JSON that LZ4 shrinks severalfold
//             at a few microseconds (zlib's fastest level cost 4% of the host's CPU under
//             ingest load), and the log's bytes are much of its cost on SQLite (the WAL,
//             checkpoints, trimming). `packed` is the unpacked size (4 bytes, little
//             endian), then one LZ4 block.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::host::events {

struct PendingEvent {
  std::string topic;
  std::string producer;  // the module that appended it
  std::string payload;
};

struct LoggedEvent {
  uint64_t seq = 0;
  std::string topic;
  std::string payload;
  int64_t createdAtMs = 0;
};

struct EncodedFrame {
  std::string topic;
  std::string payload;  // a one-event row's payload; empty when packed
  std::string packed;   // a several-event row's framed payloads, deflated; empty for one event
};

// events[first, first + count): one producer's events, in order.
EncodedFrame encodeFrame(const std::vector<PendingEvent>& events, size_t first, size_t count);

// Appends the row's events (seq: the last one's position; count: how many) to `out` in
// order; `packed` as stored (empty: none). False, and nothing appended, when the columns do
// not hold `count` events (a row written by something other than this code).
bool decodeFrame(uint64_t seq, int64_t count, std::string topic, std::string payload, std::string_view packed,
                 int64_t createdAtMs, std::vector<LoggedEvent>& out);

// Whether a module's topic can be stored (no '\n', which separates a frame's topics).
bool storableTopic(std::string_view topic);

}  // namespace codestats::host::events
