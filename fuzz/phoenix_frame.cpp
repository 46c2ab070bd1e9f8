// libFuzzer target: the Phoenix Channels V2 frame decoder of the WebSocket hub (every text
// frame a browser sends goes through it). Invariants: no crash; a decoded frame encodes
// back to a frame that decodes to the same join_ref, ref, topic and event.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ws/phoenix_message.hpp"

using namespace codestats::host::ws;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = decodePhoenix(text);
  if (!m) return 0;
  auto again = decodePhoenix(encodePhoenix(m->joinRef, m->ref, m->topic, m->event, m->payload));
  if (!again) std::abort();
  if (again->joinRef != m->joinRef || again->ref != m->ref || again->topic != m->topic || again->event != m->event)
    std::abort();
  replyPayload("ok", m->payload);
  return 0;
}
