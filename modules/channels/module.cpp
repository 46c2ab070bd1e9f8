// The channels module: the meaning of the live-update topics.
// It will decide who may join frontpage and users:<name>, shape join replies and payloads,
// and turn pulse.created events into new_pulse broadcasts. The host's channel hub owns the
// sockets, so reloading this module drops no connection.
//
// Skeleton: for now it only answers GET /health/channels, so the host, the loader and the
// reload path can be exercised with the real module set.
#include <codestats/sdk.hpp>

// One definition for the descriptor and the health answer.
#define CHANNELS_MODULE_VERSION "0.1.0"

namespace {

class ChannelsModule : public codestats::Module {
 public:
  explicit ChannelsModule(codestats::Host host) : Module(host) {
    route("GET", "/health/channels", [](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"channels","status":"ok","version":")" CHANNELS_MODULE_VERSION R"("})");
    });
  }
};

}  // namespace

CODESTATS_MODULE(ChannelsModule, "channels", CHANNELS_MODULE_VERSION, 1)
