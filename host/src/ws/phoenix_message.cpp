#include "ws/phoenix_message.hpp"

#include <codestats/json.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <sstream>

namespace codestats::host::ws {

using codestats::jsonString;

std::optional<PhoenixMessage> decodePhoenix(std::string_view text) {
  Poco::Dynamic::Var v;
  try {
    Poco::JSON::Parser parser;
    v = parser.parse(std::string(text));
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  if (v.type() != typeid(Poco::JSON::Array::Ptr)) return std::nullopt;
  auto arr = v.extract<Poco::JSON::Array::Ptr>();
  if (!arr || arr->size() != 5) return std::nullopt;
  PhoenixMessage m;
  for (unsigned i = 0; i < 2; ++i) {
    auto e = arr->get(i);
    if (e.isEmpty()) continue;
    if (!e.isString()) return std::nullopt;
    (i == 0 ? m.joinRef : m.ref) = e.extract<std::string>();
  }
  if (!arr->get(2).isString() || !arr->get(3).isString()) return std::nullopt;
  m.topic = arr->get(2).extract<std::string>();
  m.event = arr->get(3).extract<std::string>();
  auto payload = arr->get(4);
  if (payload.type() != typeid(Poco::JSON::Object::Ptr)) return std::nullopt;
  std::ostringstream s;
  payload.extract<Poco::JSON::Object::Ptr>()->stringify(s);
  m.payload = s.str();
  return m;
}

std::string encodePhoenix(const std::optional<std::string>& joinRef, const std::optional<std::string>& ref,
                          std::string_view topic, std::string_view event, std::string_view payloadJson) {
  std::string out = "[";
  out += joinRef ? jsonString(*joinRef) : "null";
  out += ",";
  out += ref ? jsonString(*ref) : "null";
  out += ",";
  out += jsonString(topic);
  out += ",";
  out += jsonString(event);
  out += ",";
  out += payloadJson.empty() ? "{}" : std::string(payloadJson);
  out += "]";
  return out;
}

std::string replyPayload(std::string_view status, std::string_view responseJson) {
  return "{\"status\":" + jsonString(status) +
         ",\"response\":" + (responseJson.empty() ? std::string("{}") : std::string(responseJson)) + "}";
}

}  // namespace codestats::host::ws
