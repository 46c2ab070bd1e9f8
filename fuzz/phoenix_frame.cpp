// libFuzzer target: the Phoenix Channels V1 and V2 frame decoders of the WebSocket hub (every
// text frame a browser sends goes through one). Invariants: no crash; a decoded frame encodes
// back to a frame that decodes to the same ref, topic and event (and join_ref in V2: V1
// frames from the server carry none).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ws/phoenix_message.hpp"

using namespace codestats::host::ws;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (Serializer s : {Serializer::V1, Serializer::V2}) {
    auto m = decodePhoenix(s, text);
    if (!m) continue;
    auto again = decodePhoenix(s, encodePhoenix(s, m->joinRef, m->ref, m->topic, m->event, m->payload));
    if (!again) std::abort();
    if ((s == Serializer::V2 && again->joinRef != m->joinRef) || again->ref != m->ref || again->topic != m->topic ||
        again->event != m->event)
      std::abort();
    replyPayload("ok", m->payload);
  }
  return 0;
}
