#include "events/event_frame.hpp"

#include <lz4.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace codestats::host::events {
namespace {

constexpr uint32_t kMaxUnpacked = 64u << 20;  // a row of 256 events; more is not ours

std::string packedText(const std::string& text) {
  if (text.size() > kMaxUnpacked) throw std::runtime_error("event log: a row's payloads are too large");
  const int bound = LZ4_compressBound(static_cast<int>(text.size()));
  std::string out(4 + static_cast<size_t>(bound), '\0');
  const uint32_t n = static_cast<uint32_t>(text.size());
  for (int i = 0; i < 4; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  const int size = LZ4_compress_default(text.data(), out.data() + 4, static_cast<int>(text.size()), bound);
  if (size <= 0) throw std::runtime_error("event log: packing a row failed");
  out.resize(4 + static_cast<size_t>(size));
  return out;
}

std::optional<std::string> unpackedText(std::string_view packed) {
  if (packed.size() < 4) return std::nullopt;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i)
    n |= static_cast<uint32_t>(static_cast<unsigned char>(packed[static_cast<size_t>(i)])) << (8 * i);
  if (n > kMaxUnpacked) return std::nullopt;
  std::string out(n, '\0');
  const int size =
      LZ4_decompress_safe(packed.data() + 4, out.data(), static_cast<int>(packed.size() - 4), static_cast<int>(n));
  if (size < 0 || static_cast<uint32_t>(size) != n) return std::nullopt;
  return out;
}

}  // namespace

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
  std::string framed;
  framed.reserve(bytes);
  for (size_t i = first; i < first + count; ++i) {
    framed += std::to_string(events[i].payload.size());
    framed += ':';
    framed += events[i].payload;
  }
  out.packed = packedText(framed);
  return out;
}

bool decodeFrame(uint64_t seq, int64_t count, std::string topic, std::string payload, std::string_view packed,
                 int64_t createdAtMs, std::vector<LoggedEvent>& out) {
  if (count < 1 || seq < static_cast<uint64_t>(count)) return false;
  if (!packed.empty()) {
    auto text = unpackedText(packed);
    if (!text) return false;
    payload = std::move(*text);
  }
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
