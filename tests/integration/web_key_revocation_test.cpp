// Machine keys revoked on one host are refused by every host (issue 16): a key regenerated,
// deactivated or deleted through host A's web is refused by host B's ingest as soon as A
// has answered, although B's token cache still holds it. The refusal comes from ingest's
// pulse transaction, which reads the machine rows again (docs/events.md, "Revoked machine
// keys"); web's forget_credentials only reaches A's own ingest.
#include "web_fixture.hpp"

using namespace codestats::test;

namespace {

constexpr const char* kAuthError = R"({"error": "You must be authenticated"})";
const std::string kSecret(64, 's');  // both hosts verify the tokens A's web signs

HttpReply pulseTo(const HostProcess& h, const std::string& token) {
  std::string body = R"({"coded_at":")" + codedAtAgo(60, 0) + R"(","xps":[{"language":"C++","xp":5}]})";
  return h.request("POST", "/api/my/pulses", body, {{"X-API-Token", token}, {"Content-Type", "application/json"}});
}

std::string machineIdOf(const WebSite& site, const std::string& name) {
  auto r = site.sql("SELECT id FROM machines WHERE name = '" + name + "'");
  REQUIRE(r.cells.size() == 1);
  return std::to_string(r.cells[0].i);
}

}  // namespace

TEST_CASE("ingest: a machine key revoked on one host is refused by another right after the answer",
          "[web][ingest][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend, "web,ingest", {"--set", "secret_key_base=" + kSecret});
      WebClient owner = site.account("rita");
      // PostgreSQL: host B shares A's database. SQLite: several hosts on one database file
      // are not a supported setup, so B is A itself and the test changes the machine row
      // directly in the database: web's forget_credentials call is bypassed, the refusal can
      // only come from the pulse transaction's check, as it does on another host.
      std::unique_ptr<HostProcess> other;
      if (site.db.schema)
        other = std::make_unique<HostProcess>(site.db.args + std::vector<std::string>{"--set", "modules=web,ingest",
                                                                                      "--set",
                                                                                      "secret_key_base=" + kSecret});
      const HostProcess& b = other ? *other : *site.h;

      for (const std::string action : {"regenerate", "deactivate", "delete"}) {
        INFO(action);
        const std::string name = "box-" + action;
        owner.get("/my/machines");
        REQUIRE(owner.post("/my/machines", {{"machine[name]", name}}).status == 302);
        const std::string id = machineIdOf(site, name);
        const std::string token = trimmed(site.run({"run", "web.machine-token", "rita", name}));
        REQUIRE(pulseTo(b, token).status == 201);  // B has verified and cached the key

        if (other) {
          owner.get("/my/machines");
          WebReply answer = action == "regenerate"   ? owner.post("/my/machines/" + id + "/key", {})
                            : action == "deactivate" ? owner.post("/my/machines/" + id + "/deactivate", {})
                                                     : owner.post("/my/machines/" + id, {{"_method", "DELETE"}});
          REQUIRE(answer.status == 302);
        } else {
          site.sql(action == "regenerate"   ? "UPDATE machines SET api_salt = 'replaced' WHERE id = " + id
                   : action == "deactivate" ? "UPDATE machines SET active = 0 WHERE id = " + id
                                            : "DELETE FROM machines WHERE id = " + id);
        }
        auto refused = pulseTo(b, token);
        CHECK(refused.status == 403);
        CHECK(refused.body == kAuthError);
        // Not stored: the pulse B took before (gone with the machine when web deleted it).
        CHECK(site.count("pulses WHERE machine_id = " + id) == (other && action == "delete" ? 0 : 1));
        CHECK(pulseTo(b, token).status == 403);
      }

      if (other) {
        // The new key and a reactivated machine work on B at once.
        const std::string regenerated = trimmed(site.run({"run", "web.machine-token", "rita", "box-regenerate"}));
        CHECK(pulseTo(b, regenerated).status == 201);
        const std::string id = machineIdOf(site, "box-deactivate");
        owner.get("/my/machines");
        REQUIRE(owner.post("/my/machines/" + id + "/activate", {}).status == 302);
        CHECK(pulseTo(b, trimmed(site.run({"run", "web.machine-token", "rita", "box-deactivate"}))).status == 201);
      }
    }
  }
}
