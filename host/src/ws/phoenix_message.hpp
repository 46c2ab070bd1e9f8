// The Phoenix Channels wire formats (Phoenix.Socket.V1/V2.JSONSerializer):
//   V2 (vsn 2.0.x): a JSON array [join_ref, ref, topic, event, payload];
//   V1 (vsn 1.0.x, and a connect without vsn): a JSON object {"topic","event","payload","ref"}
//      (a client may add "join_ref"; the server never sends it, as Phoenix's V1 does not).
// join_ref and ref are strings or null.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace codestats::host::ws {

enum class Serializer { V1, V2 };

// The serializer a socket connect asks for with its `vsn` query parameter, as Phoenix
// negotiates it ("~> 1.0.0", "~> 2.0.0"; no vsn means 1.0.0); nullopt: no serializer fits.
std::optional<Serializer> serializerForVsn(std::optional<std::string_view> vsn);

// The value of `name` in a query string (percent-decoded), nullopt when absent.
std::optional<std::string> queryParam(std::string_view query, std::string_view name);

struct PhoenixMessage {
  std::optional<std::string> joinRef;
  std::optional<std::string> ref;
  std::string topic;
  std::string event;
  std::string payload;  // JSON text of the payload (an object for client messages)
};

// nullopt for anything that is not a message of the serializer's shape with the right types.
std::optional<PhoenixMessage> decodePhoenix(Serializer serializer, std::string_view text);

std::string encodePhoenix(Serializer serializer, const std::optional<std::string>& joinRef,
                          const std::optional<std::string>& ref, std::string_view topic, std::string_view event,
                          std::string_view payloadJson);

// {"status":"<status>","response":<response or {}>}
std::string replyPayload(std::string_view status, std::string_view responseJson);

}  // namespace codestats::host::ws
