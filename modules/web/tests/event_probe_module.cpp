// A test-only module that records the events the web module publishes (user.changed,
// user.deleted, machine.changed) and shows them at GET /probe/events as
// [{"topic":..., "payload":...}], so tests check the payloads of docs/events.md.
#include <codestats/json.hpp>
#include <codestats/sdk.hpp>

#include <mutex>
#include <string>
#include <vector>

namespace {

class EventProbe : public codestats::Module {
 public:
  explicit EventProbe(codestats::Host host) : Module(host) {
    for (const char* topic : {"user.*", "machine.*"})
      subscribe(topic, [this](std::string_view t, std::string_view payload) {
        std::lock_guard<std::mutex> lock(mu_);
        events_.push_back("{\"topic\":" + codestats::jsonString(t) + ",\"payload\":" + std::string(payload) + "}");
      });
    route("GET", "/probe/events", [this](const codestats::Request&, codestats::Response& resp) {
      std::lock_guard<std::mutex> lock(mu_);
      std::string body = "[";
      for (size_t i = 0; i < events_.size(); ++i) body += (i ? "," : "") + events_[i];
      resp.json(200, body + "]");
    });
  }

 private:
  std::mutex mu_;
  std::vector<std::string> events_;
};

}  // namespace

CODESTATS_MODULE(EventProbe, "event_probe", "1.0.0", 1)
