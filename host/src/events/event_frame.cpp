#include "events/event_frame.hpp"

#include <charconv>

namespace codestats::host::events {

EncodedFrame encodeFrame(const std::vector<PendingEvent>& events, size_t first, size_t count) {
  if (count == 1) return {events[first].topic, events[first].payload};
  EncodedFrame out;
  bool oneTopic = true;
  size_t bytes = 0;
  for (size_t i = first; i < first + count; ++i) {
    oneTopic = oneTopic && events[i].topic == events[first].topic;
    bytes += events[i].payload.size() + 8;
  }
  for (size_t i = first; i < first + count && !(oneTopic && i > first); ++i) {
    if (i > first) out.topic += '\n';
    out.topic += events[i].topic;
  }
  out.payload.reserve(bytes);
  for (size_t i = first; i < first + count; ++i) {
    out.payload += std::to_string(events[i].payload.size());
    out.payload += ':';
    out.payload += events[i].payload;
  }
  return out;
}

bool decodeFrame(uint64_t seq, int64_t count, std::string topic, std::string payload, int64_t createdAtMs,
                 std::vector<LoggedEvent>& out) {
  if (count < 1 || seq < static_cast<uint64_t>(count)) return false;
  if (count == 1) {
    out.push_back(LoggedEvent{seq, std::move(topic), std::move(payload), createdAtMs});
    return true;
  }
  std::vector<std::string> topics;
  if (topic.find('\n') == std::string::npos) {
    topics.assign(static_cast<size_t>(count), topic);
  } else {
    size_t start = 0;
    for (size_t nl; (nl = topic.find('\n', start)) != std::string::npos; start = nl + 1)
      topics.push_back(topic.substr(start, nl - start));
    topics.push_back(topic.substr(start));
    if (topics.size() != static_cast<size_t>(count)) return false;
  }
  const size_t mark = out.size();
  uint64_t next = seq - static_cast<uint64_t>(count) + 1;
  const char* const end = payload.data() + payload.size();
  const char* at = payload.data();
  for (std::string& t : topics) {
    size_t length = 0;
    auto [colon, ec] = std::from_chars(at, end, length);
    if (ec != std::errc() || colon == at || colon == end || *colon != ':' ||
        static_cast<size_t>(end - colon - 1) < length) {
      out.resize(mark);
      return false;
    }
    out.push_back(LoggedEvent{next++, std::move(t), std::string(colon + 1, length), createdAtMs});
    at = colon + 1 + length;
  }
  if (at != end) {
    out.resize(mark);
    return false;
  }
  return true;
}

bool storableTopic(std::string_view topic) { return !topic.empty() && topic.find('\n') == std::string_view::npos; }

}  // namespace codestats::host::events
