#include "ws/phoenix_message.hpp"

#include <codestats/json.hpp>
#include <codestats/text.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <sstream>

namespace codestats::host::ws {

using codestats::jsonString;

namespace {

// "major.minor.patch" with digits only; nullopt otherwise.
std::optional<std::pair<long, long>> majorMinor(std::string_view v) {
  long parts[3];
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    if (at >= v.size() || v[at] < '0' || v[at] > '9') return std::nullopt;
    long n = 0;
    while (at < v.size() && v[at] >= '0' && v[at] <= '9' && n < 1000000) n = n * 10 + (v[at++] - '0');
    parts[i] = n;
    if (i < 2) {
      if (at >= v.size() || v[at] != '.') return std::nullopt;
      ++at;
    }
  }
  if (at != v.size()) return std::nullopt;
  return std::pair{parts[0], parts[1]};
}

// A ref: a string or null (absent counts as null); false for any other JSON type.
bool readRef(const Poco::Dynamic::Var& v, std::optional<std::string>& out) {
  if (v.isEmpty()) return true;
  if (!v.isString()) return false;
  out = v.extract<std::string>();
  return true;
}

// The payload must be an object; its JSON text goes to the module.
bool readPayload(const Poco::Dynamic::Var& v, std::string& out) {
  if (v.type() != typeid(Poco::JSON::Object::Ptr)) return false;
  std::ostringstream s;
  v.extract<Poco::JSON::Object::Ptr>()->stringify(s);
  out = s.str();
  return true;
}

std::optional<PhoenixMessage> fromArray(const Poco::JSON::Array::Ptr& arr) {
  if (!arr || arr->size() != 5) return std::nullopt;
  PhoenixMessage m;
  if (!readRef(arr->get(0), m.joinRef) || !readRef(arr->get(1), m.ref)) return std::nullopt;
  if (!arr->get(2).isString() || !arr->get(3).isString()) return std::nullopt;
  m.topic = arr->get(2).extract<std::string>();
  m.event = arr->get(3).extract<std::string>();
  if (!readPayload(arr->get(4), m.payload)) return std::nullopt;
  return m;
}

// Phoenix's Message.from_map!: topic, event, payload and ref are required (ref may be
// null), join_ref is optional.
std::optional<PhoenixMessage> fromObject(const Poco::JSON::Object::Ptr& obj) {
  if (!obj || !obj->has("topic") || !obj->has("event") || !obj->has("payload") || !obj->has("ref")) return std::nullopt;
  PhoenixMessage m;
  if (!readRef(obj->get("ref"), m.ref) || !readRef(obj->get("join_ref"), m.joinRef)) return std::nullopt;
  if (!obj->get("topic").isString() || !obj->get("event").isString()) return std::nullopt;
  m.topic = obj->getValue<std::string>("topic");
  m.event = obj->getValue<std::string>("event");
  if (!readPayload(obj->get("payload"), m.payload)) return std::nullopt;
  return m;
}

std::string refJson(const std::optional<std::string>& ref) { return ref ? jsonString(*ref) : "null"; }

}  // namespace

std::optional<Serializer> serializerForVsn(std::optional<std::string_view> vsn) {
  auto v = majorMinor(vsn ? *vsn : "1.0.0");
  if (!v) return std::nullopt;
  if (*v == std::pair{1L, 0L}) return Serializer::V1;
  if (*v == std::pair{2L, 0L}) return Serializer::V2;
  return std::nullopt;
}

std::optional<std::string> queryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (codestats::urlDecode(pair.substr(0, eq)) != name) continue;
    return eq == std::string_view::npos ? std::string() : codestats::urlDecode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<PhoenixMessage> decodePhoenix(Serializer serializer, std::string_view text) {
  Poco::Dynamic::Var v;
  try {
    Poco::JSON::Parser parser;
    v = parser.parse(std::string(text));
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  if (serializer == Serializer::V2) {
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) return std::nullopt;
    return fromArray(v.extract<Poco::JSON::Array::Ptr>());
  }
  if (v.type() != typeid(Poco::JSON::Object::Ptr)) return std::nullopt;
  return fromObject(v.extract<Poco::JSON::Object::Ptr>());
}

std::string encodePhoenix(Serializer serializer, const std::optional<std::string>& joinRef,
                          const std::optional<std::string>& ref, std::string_view topic, std::string_view event,
                          std::string_view payloadJson) {
  std::string payload = payloadJson.empty() ? "{}" : std::string(payloadJson);
  if (serializer == Serializer::V1)
    return "{\"topic\":" + jsonString(topic) + ",\"event\":" + jsonString(event) + ",\"payload\":" + payload +
           ",\"ref\":" + refJson(ref) + "}";
  return "[" + refJson(joinRef) + "," + refJson(ref) + "," + jsonString(topic) + "," + jsonString(event) + "," +
         payload + "]";
}

std::string replyPayload(std::string_view status, std::string_view responseJson) {
  return "{\"status\":" + jsonString(status) +
         ",\"response\":" + (responseJson.empty() ? std::string("{}") : std::string(responseJson)) + "}";
}

}  // namespace codestats::host::ws
