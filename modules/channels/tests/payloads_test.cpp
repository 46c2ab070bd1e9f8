#include <catch2/catch.hpp>

#include "payloads.hpp"

using namespace channels;

namespace {
const char* kEvent =
    R"({"pulse_id":7,"user_id":1,"username":"Nicd","private":false,"machine_id":2,"machine_name":"box \"1\"",)"
    R"("sent_at":"2026-11-26T12:00:00Z","sent_at_local":"2026-11-26T14:00:00+02:00","tz_offset":120,)"
    R"("xps":[{"language":"C++","original_language":"c++","amount":15},{"language":"Elixir","original_language":"Elixir","amount":900}],)"
    R"("client_ip":"127.0.0.1"})";
}

TEST_CASE("pulse.created becomes the two new_pulse payloads", "[channels]") {
  auto e = parsePulseEvent(kEvent);
  REQUIRE(e);
  CHECK(userPulsePayload(*e) ==
        R"({"xps":[{"language":"C++","amount":15},{"language":"Elixir","amount":900}],)"
        R"("sent_at":"2026-11-26T12:00:00Z","sent_at_local":"2026-11-26T14:00:00+02:00","machine":"box \"1\""})");
  CHECK(frontpagePulsePayload(*e, std::nullopt) ==
        R"({"xps":[{"language":"C++","amount":15},{"language":"Elixir","amount":900}],"coords":null})");
  CHECK(
      frontpagePulsePayload(*e, std::make_pair(60.1734, 24.9410)) ==
      R"({"xps":[{"language":"C++","amount":15},{"language":"Elixir","amount":900}],"coords":{"lat":60.2,"lon":24.9}})");
  e->isPrivate = true;
  CHECK_THAT(frontpagePulsePayload(*e, std::make_pair(60.1, 24.9)), Catch::EndsWith(R"("coords":null})"));
  CHECK_FALSE(parsePulseEvent("not json"));
  CHECK_FALSE(parsePulseEvent(R"({"xps":[]})"));  // no username
}

TEST_CASE("xp_history is newest first, one bucket per UTC minute", "[channels]") {
  CHECK(xpHistoryReply({{29928240, 5}, {29928241, 400}}) ==
        R"({"xp_history":[[[[2026,11,26],[12,1]],400],[[[2026,11,26],[12,0]],5]]})");
  CHECK(xpHistoryReply({}) == R"({"xp_history":[]})");
}
