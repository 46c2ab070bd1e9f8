// The shapes the official front end expects on the live-update topics (spec §3.7, §6.2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace channels {

struct PulseXp {
  std::string language;
  int64_t amount = 0;
};

// The parts of the host event `pulse.created` the channels need.
struct PulseEvent {
  std::string username;
  bool isPrivate = false;
  std::string machine;
  std::string sentAt, sentAtLocal;
  std::vector<PulseXp> xps;
  std::string clientIp;
};

std::optional<PulseEvent> parsePulseEvent(std::string_view json);

// users:<name> new_pulse: {"xps":[{"language","amount"}],"sent_at","sent_at_local","machine"}
std::string userPulsePayload(const PulseEvent& e);

// frontpage new_pulse: {"xps":[...],"coords":{"lat","lon"}|null}; private users never get coords
std::string frontpagePulsePayload(const PulseEvent& e, std::optional<std::pair<double, double>> coords);

// frontpage join reply: {"xp_history":[[[[Y,M,D],[h,m]],xp],...]} from (unix minute, xp)
// pairs, newest first.
std::string xpHistoryReply(std::vector<std::pair<int64_t, int64_t>> minutes);

}  // namespace channels
