// Web module events: user.changed, user.deleted and machine.changed carry exactly the
// fields of docs/events.md, recorded by a probe module (modules/web/tests/event_probe_module.cpp).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <thread>

#include "web_fixture.hpp"

using namespace codestats::test;

namespace {

// The recorded events once there are at least `n` of them.
Poco::JSON::Array::Ptr events(WebClient& c, size_t n) {
  Poco::JSON::Array::Ptr a;
  for (int i = 0; i < 100; ++i) {
    a = Poco::JSON::Parser()
            .parse(c.get("/probe/events", {{"Accept", "application/json"}}).body)
            .extract<Poco::JSON::Array::Ptr>();
    if (a->size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return a;
}

std::string topic(const Poco::JSON::Array::Ptr& a, size_t i) { return a->getObject(i)->getValue<std::string>("topic"); }
Poco::JSON::Object::Ptr payload(const Poco::JSON::Array::Ptr& a, size_t i) {
  return a->getObject(i)->getObject("payload");
}
std::vector<std::string> keys(const Poco::JSON::Object::Ptr& o) {
  std::vector<std::string> k;
  for (const auto& [name, value] : *o) k.push_back(name);
  std::sort(k.begin(), k.end());
  return k;
}

}  // namespace

TEST_CASE("web: user.changed, machine.changed and user.deleted as docs/events.md says", "[web][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend, "web,event_probe",
                   {"--set", std::string("modules.event_probe.artifact=") + WEB_EVENT_PROBE});
      WebClient c = site.account("quinn");
      auto e = events(c, 1);
      REQUIRE(e->size() == 1);
      CHECK(topic(e, 0) == "user.changed");
      CHECK(keys(payload(e, 0)) == std::vector<std::string>{"private", "user_id", "username"});
      CHECK(payload(e, 0)->getValue<std::string>("username") == "quinn");
      CHECK(payload(e, 0)->getValue<bool>("private") == false);
      int64_t userId = payload(e, 0)->getValue<int64_t>("user_id");

      c.get("/my/machines");
      REQUIRE(c.post("/my/machines", {{"machine[name]", "box"}}).status == 302);
      e = events(c, 2);
      REQUIRE(e->size() == 2);
      CHECK(topic(e, 1) == "machine.changed");
      auto m = payload(e, 1);
      CHECK(keys(m) == std::vector<std::string>{"active", "deleted", "machine_id", "name", "user_id"});
      CHECK(m->getValue<int64_t>("user_id") == userId);
      CHECK(m->getValue<std::string>("name") == "box");
      CHECK(m->getValue<bool>("active"));
      CHECK_FALSE(m->getValue<bool>("deleted"));
      std::string id = std::to_string(m->getValue<int64_t>("machine_id"));

      c.post("/my/machines/" + id + "/deactivate", {});
      c.post("/my/machines/" + id, {{"_method", "DELETE"}});
      e = events(c, 4);
      REQUIRE(e->size() == 4);
      CHECK_FALSE(payload(e, 2)->getValue<bool>("active"));
      CHECK(payload(e, 3)->getValue<bool>("deleted"));

      c.get("/my/preferences");
      c.post("/my/preferences", {{"_method", "PUT"}, {"user[type]", "edit"}, {"user[private_profile]", "true"}});
      e = events(c, 5);
      REQUIRE(e->size() == 5);
      CHECK(topic(e, 4) == "user.changed");
      CHECK(payload(e, 4)->getValue<bool>("private"));

      c.get("/my/preferences");
      c.post("/my/preferences", {{"_method", "DELETE"}, {"delete_confirmation", "DELETE"}});
      e = events(c, 6);
      REQUIRE(e->size() == 6);
      CHECK(topic(e, 5) == "user.deleted");
      CHECK(keys(payload(e, 5)) == std::vector<std::string>{"user_id", "username"});
      CHECK(payload(e, 5)->getValue<int64_t>("user_id") == userId);
    }
  }
}
