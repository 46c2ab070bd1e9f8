// Tests for host/src/ws/phoenix_message: the Phoenix V1 (objects) and V2 (arrays) wire
// formats and the serializer a connect's vsn chooses.
#include <catch2/catch.hpp>

#include "ws/phoenix_message.hpp"

using namespace codestats::host::ws;

TEST_CASE("phoenix: vsn chooses the serializer as Phoenix negotiates it", "[phoenix]") {
  CHECK(serializerForVsn(std::nullopt) == Serializer::V1);  // Phoenix: no vsn is 1.0.0
  CHECK(serializerForVsn("1.0.0") == Serializer::V1);
  CHECK(serializerForVsn("1.0.7") == Serializer::V1);  // "~> 1.0.0"
  CHECK(serializerForVsn("2.0.0") == Serializer::V2);
  CHECK(serializerForVsn("2.0.1") == Serializer::V2);
  for (const char* refused : {"1.1.0", "2.1.0", "3.0.0", "0.9.0", "", "2", "2.0", "2.0.0-rc", "v2.0.0", "2..0"}) {
    INFO(refused);
    CHECK_FALSE(serializerForVsn(refused));
  }
}

TEST_CASE("phoenix: queryParam finds one parameter, percent-decoded", "[phoenix]") {
  CHECK(queryParam("vsn=2.0.0&token=abc", "vsn") == "2.0.0");
  CHECK(queryParam("token=abc&vsn=1.0.0", "vsn") == "1.0.0");
  CHECK(queryParam("token=a%2Bb", "token") == "a+b");
  CHECK(queryParam("xvsn=2.0.0", "vsn") == std::nullopt);
  CHECK(queryParam("", "vsn") == std::nullopt);
  CHECK(queryParam("vsn", "vsn") == "");
}

TEST_CASE("phoenix: V2 frames are arrays", "[phoenix]") {
  auto m = decodePhoenix(Serializer::V2, R"(["1","2","room:a","phx_join",{"k":1}])");
  REQUIRE(m);
  CHECK(m->joinRef == "1");
  CHECK(m->ref == "2");
  CHECK(m->topic == "room:a");
  CHECK(m->event == "phx_join");
  CHECK(m->payload == R"({"k":1})");
  CHECK(encodePhoenix(Serializer::V2, std::nullopt, std::string("7"), "t", "e", R"({"a":1})") ==
        R"([null,"7","t","e",{"a":1}])");
  // an object is not a V2 frame
  CHECK_FALSE(decodePhoenix(Serializer::V2, R"({"topic":"t","event":"e","payload":{},"ref":"1"})"));
  CHECK_FALSE(decodePhoenix(Serializer::V2, R"(["1","2","t","e"])"));
  CHECK_FALSE(decodePhoenix(Serializer::V2, R"([1,"2","t","e",{}])"));
}

TEST_CASE("phoenix: V1 frames are objects with topic, event, payload and ref", "[phoenix]") {
  auto m = decodePhoenix(Serializer::V1, R"({"topic":"frontpage","event":"phx_join","payload":{},"ref":"3"})");
  REQUIRE(m);
  CHECK_FALSE(m->joinRef);
  CHECK(m->ref == "3");
  CHECK(m->topic == "frontpage");
  CHECK(m->event == "phx_join");
  CHECK(m->payload == "{}");

  // phoenix.js 1.3 also sends join_ref; ref may be null
  auto withJoinRef =
      decodePhoenix(Serializer::V1, R"({"topic":"t","event":"e","payload":{"x":[1]},"ref":null,"join_ref":"1"})");
  REQUIRE(withJoinRef);
  CHECK(withJoinRef->joinRef == "1");
  CHECK_FALSE(withJoinRef->ref);

  // Phoenix's Message.from_map!: topic, event, payload and ref are required
  CHECK_FALSE(decodePhoenix(Serializer::V1, R"({"topic":"t","event":"e","payload":{}})"));
  CHECK_FALSE(decodePhoenix(Serializer::V1, R"({"event":"e","payload":{},"ref":"1"})"));
  CHECK_FALSE(decodePhoenix(Serializer::V1, R"({"topic":"t","event":"e","payload":[],"ref":"1"})"));
  CHECK_FALSE(decodePhoenix(Serializer::V1, R"({"topic":1,"event":"e","payload":{},"ref":"1"})"));
  CHECK_FALSE(decodePhoenix(Serializer::V1, R"(["1","2","t","e",{}])"));  // a V2 frame
  CHECK_FALSE(decodePhoenix(Serializer::V1, "not json"));

  // the server's V1 frames carry no join_ref (Phoenix.Socket.V1.JSONSerializer's fields only)
  CHECK(encodePhoenix(Serializer::V1, std::string("1"), std::string("3"), "frontpage", "phx_reply",
                      replyPayload("ok", "{}")) ==
        R"({"topic":"frontpage","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"3"})");
  CHECK(encodePhoenix(Serializer::V1, std::nullopt, std::nullopt, "frontpage", "new_pulse", R"({"xps":[]})") ==
        R"({"topic":"frontpage","event":"new_pulse","payload":{"xps":[]},"ref":null})");
}
