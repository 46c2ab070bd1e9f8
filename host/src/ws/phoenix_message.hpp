// The Phoenix Channels V2 wire format: every message is a JSON array
// [join_ref, ref, topic, event, payload]; join_ref and ref are strings or null.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace codestats::host::ws {

struct PhoenixMessage {
  std::optional<std::string> joinRef;
  std::optional<std::string> ref;
  std::string topic;
  std::string event;
  std::string payload;  // JSON text of the payload (an object for client messages)
};

// nullopt for anything that is not a 5-element array of the right types.
std::optional<PhoenixMessage> decodePhoenix(std::string_view text);

std::string encodePhoenix(const std::optional<std::string>& joinRef, const std::optional<std::string>& ref,
                          std::string_view topic, std::string_view event, std::string_view payloadJson);

// {"status":"<status>","response":<response or {}>}
std::string replyPayload(std::string_view status, std::string_view responseJson);

}  // namespace codestats::host::ws
