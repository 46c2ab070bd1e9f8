// Tests for host/src/events/event_frame: a transaction's events in one row and back.
#include <catch2/catch.hpp>

#include "events/event_frame.hpp"

namespace ev = codestats::host::events;

namespace {

std::vector<ev::LoggedEvent> roundTrip(const std::vector<ev::PendingEvent>& in, uint64_t lastSeq) {
  ev::EncodedFrame f = ev::encodeFrame(in, 0, in.size());
  std::vector<ev::LoggedEvent> out;
  REQUIRE(ev::decodeFrame(lastSeq, static_cast<int64_t>(in.size()), f.topic, f.payload, f.packed, 7, out));
  return out;
}

}  // namespace

TEST_CASE("event frame: one event is stored as itself", "[events]") {
  ev::EncodedFrame f = ev::encodeFrame({{"pulse.created", "ingest", "{\"a\":1}"}}, 0, 1);
  CHECK(f.topic == "pulse.created");
  CHECK(f.payload == "{\"a\":1}");
  CHECK(f.packed.empty());
  auto out = roundTrip({{"pulse.created", "ingest", "{\"a\":1}"}}, 41);
  REQUIRE(out.size() == 1);
  CHECK(out[0].seq == 41);
  CHECK(out[0].createdAtMs == 7);
}

TEST_CASE("event frame: several events keep their order, topics, payloads and numbers", "[events]") {
  // Payloads that look like the framing itself: digits, colons, newlines, empty.
  std::vector<ev::PendingEvent> in = {{"pulse.created", "ingest", "12:{\"x\":\"a:b\"}"},
                                      {"pulse.created", "ingest", ""},
                                      {"xp.deleted", "ingest", "{\"n\":\"line\nbreak\"}"}};
  auto out = roundTrip(in, 100);
  REQUIRE(out.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(out[i].seq == 98 + i);
    CHECK(out[i].topic == in[i].topic);
    CHECK(out[i].payload == in[i].payload);
  }
  // One shared topic is written once; the payloads are packed.
  ev::EncodedFrame same = ev::encodeFrame({{"t", "m", "1"}, {"t", "m", "22"}}, 0, 2);
  CHECK(same.topic == "t");
  CHECK(same.payload.empty());
  CHECK_FALSE(same.packed.empty());
  CHECK(ev::encodeFrame(in, 0, 3).topic == "pulse.created\npulse.created\nxp.deleted");
  // Rows of similar JSON shrink (what the packing is for).
  std::vector<ev::PendingEvent> pulses;
  for (int i = 0; i < 20; ++i)
    pulses.push_back({"pulse.created", "ingest",
                      "{\"pulse_id\":" + std::to_string(1000 + i) +
                          ",\"username\":\"someone\",\"machine_name\":\"laptop\",\"sent_at\":\"2026-12-06T13:0" +
                          std::to_string(i % 10) + ":00Z\",\"xps\":[{\"language\":\"C++\",\"amount\":12}]}"});
  ev::EncodedFrame packed = ev::encodeFrame(pulses, 0, pulses.size());
  size_t raw = 0;
  for (const auto& p : pulses) raw += p.payload.size();
  CHECK(packed.packed.size() * 3 < raw);
  auto back = roundTrip(pulses, 20);
  REQUIRE(back.size() == 20);
  CHECK(back[19].payload == pulses[19].payload);
}

TEST_CASE("event frame: an unpacked several-event row is read too", "[events]") {
  std::vector<ev::LoggedEvent> out;
  REQUIRE(ev::decodeFrame(5, 2, "t", "1:a2:bc", "", 0, out));
  REQUIRE(out.size() == 2);
  CHECK(out[0].seq == 4);
  CHECK(out[1].payload == "bc");
}

TEST_CASE("event frame: columns that do not hold their events are refused whole", "[events]") {
  std::vector<ev::LoggedEvent> out{{1, "kept", "", 0}};
  CHECK_FALSE(ev::decodeFrame(10, 2, "t", "1:a", "", 0, out));           // one payload short
  CHECK_FALSE(ev::decodeFrame(10, 2, "t", "1:a1:bc", "", 0, out));       // bytes left over
  CHECK_FALSE(ev::decodeFrame(10, 2, "t", "5:a1:b", "", 0, out));        // a length past the end
  CHECK_FALSE(ev::decodeFrame(10, 2, "t", "x:a1:b", "", 0, out));        // no length
  CHECK_FALSE(ev::decodeFrame(10, 2, "a\nb\nc", "1:a1:b", "", 0, out));  // three topics for two
  CHECK_FALSE(ev::decodeFrame(10, 0, "t", "", "", 0, out));
  CHECK_FALSE(ev::decodeFrame(1, 2, "t", "1:a1:b", "", 0, out));  // numbers below 1
  ev::EncodedFrame good = ev::encodeFrame({{"t", "m", "a"}, {"t", "m", "b"}}, 0, 2);
  std::string corrupt = good.packed.substr(0, good.packed.size() - 2);
  CHECK_FALSE(ev::decodeFrame(10, 2, "t", "", corrupt, 0, out));               // a cut LZ4 block
  CHECK_FALSE(ev::decodeFrame(10, 2, "t", "", std::string(3, '\0'), 0, out));  // no length
  CHECK_FALSE(ev::decodeFrame(10, 2, "t", "", "\xff\xff\xff\xff", 0, out));    // an absurd length
  CHECK(out.size() == 1);                                                      // nothing half appended
}

TEST_CASE("event frame: a topic with a newline cannot be stored", "[events]") {
  CHECK(ev::storableTopic("pulse.created"));
  CHECK_FALSE(ev::storableTopic(""));
  CHECK_FALSE(ev::storableTopic("a\nb"));
}
