// Table ownership, enforced by the host on both backends (docs/data-ownership.md): a module
// reaches another module's tables only through the read contracts it uses, and changes them
// only through the owner's service; loads that would break that are refused.
#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <ctime>

#include "backends.hpp"

using namespace codestats::test;

namespace {

std::string codedAt(int64_t agoSeconds, int offsetMinutes) { return codedAtAgo(agoSeconds, offsetMinutes); }

std::string reloadBody(const std::string& artifact) { return R"({"artifact":")" + artifact + R"(","wait":true})"; }

std::string errorOf(const HttpReply& r) {
  return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->optValue<std::string>("error", "");
}

}  // namespace

TEST_CASE("a module touches only its own tables and the read contracts it uses", "[ownership][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      BackendArgs db = backendArgs(backend);
      HostProcess h(db.args + std::vector<std::string>{"--set", "modules=web,ingest,intruder", "--set",
                                                       "modules.intruder.artifact=" + fixture("intruder")});
      std::string out;
      REQUIRE(h.ctl({"run", "web.create-user", "ann"}, out) == 0);
      REQUIRE(h.ctl({"run", "web.create-machine", "ann", "laptop"}, out) == 0);
      std::string token = out.substr(0, out.find_last_not_of("\n") + 1);
      REQUIRE(h.request("POST", "/api/my/pulses",
                        R"({"coded_at":")" + codedAt(60, 0) + R"(","xps":[{"language":"Go","xp":10}]})",
                        {{"X-API-Token", token}, {"Content-Type", "application/json"}})
                  .status == 201);
      auto sql = [&](const std::string& statement) {
        std::string o;
        INFO(statement);
        CHECK(h.ctl({"run", "intruder.sql", statement}, o) == 0);
        return o;
      };

      // Its own table, and web's users through web.accounts v1. (No quotes in the SQL:
      // codestatsctl's arguments pass through a shell.)
      CHECK(sql("INSERT INTO intruder_notes (id, note) VALUES (1, CAST(7 AS TEXT))") == "rows 0\n");
      CHECK(sql("SELECT note FROM intruder_notes") == "rows 1\n");
      CHECK(sql("SELECT username FROM users") == "rows 1\n");
      // Writes to another module's table, reads outside the contracts it uses: CS_E_DENIED,
      // naming the table and its owner.
      CHECK(sql("DELETE FROM pulses") ==
            "denied: query: module intruder may not write table pulses: it is owned by ingest (write through its "
            "service)\n");
      CHECK(
          sql("UPDATE users SET email = username") ==
          "denied: query: module intruder may not write table users: it is owned by web (write through its service)\n");
      CHECK(
          sql("INSERT INTO machines (user_id, name, active, api_salt, inserted_at, updated_at) SELECT id, username, 1, "
              "username, 0, 0 FROM users") ==
          "denied: query: module intruder may not write table machines: it is owned by web (write through its "
          "service)\n");
      CHECK(sql("SELECT token_hash FROM sessions") ==
            "denied: query: module intruder may not read table sessions: it is owned by web and in no read contract\n");
      CHECK(sql("SELECT SUM(amount) FROM xps") ==
            "denied: query: module intruder may not read table xps: it is owned by ingest and intruder does not use "
            "ingest.xp v1\n");
      CHECK(sql("SELECT module FROM codestats_migrations") ==
            "denied: query: module intruder may not read table codestats_migrations: it is the host's\n");
      // Nothing was changed by the refused statements.
      REQUIRE(h.ctl({"run", "ingest.stats", "ann"}, out) == 0);
      CHECK_THAT(out, Catch::Contains("\"pulses\":1,") && Catch::Contains("\"xps_sum\":10,"));
      auto pool = openTestDb(db, h.varDir() + "/codestats.db");
      CHECK(runSql(*pool, "SELECT COUNT(*) FROM machines").at(0, 0).i == 1);
      CHECK(runSql(*pool, "SELECT COUNT(*) FROM users WHERE email IS NOT NULL").at(0, 0).i == 0);

      // Loads that would break ownership are refused; the serving generation stays.
      struct Refused {
        std::string fixture, reason;
      };
      for (const auto& [artifact, reason] : std::vector<Refused>{
               {"intruder_claim", "table ownership: table users is owned by web"},
               {"intruder_migrate", "module intruder may not alter table users: it is owned by web"},
               {"intruder_v9",
                "table ownership: intruder uses ingest.xp v9, which ingest does not publish (it publishes "
                "ingest.xp v1)"}}) {
        INFO(artifact);
        auto r = h.admin("POST", "/admin/modules/intruder/reload", reloadBody(fixture(artifact)));
        CHECK(r.status == 422);
        CHECK_THAT(errorOf(r), Catch::Contains(reason));
      }
      // The refused migration changed nothing: users has no such column.
      CHECK_THROWS(runSql(*pool, "SELECT intruded FROM users"));
      CHECK(sql("SELECT note FROM intruder_notes") == "rows 1\n");
    }
  }
}

TEST_CASE("deleting an account and a machine through web leaves ingest's figures exact", "[ownership][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      BackendArgs db = backendArgs(backend);
      HostProcess h(db.args + std::vector<std::string>{"--set", "modules=web,ingest"});
      std::string out;
      auto post = [&](const std::string& token, const std::string& at, const std::string& language, int xp) {
        return h
            .request("POST", "/api/my/pulses",
                     R"({"coded_at":")" + at + R"(","xps":[{"language":")" + language + R"(","xp":)" +
                         std::to_string(xp) + "}]}",
                     {{"X-API-Token", token}, {"Content-Type", "application/json"}})
            .status;
      };
      auto tokenFor = [&](const std::string& user, const std::string& machine) {
        REQUIRE(h.ctl({"run", "web.create-machine", user, machine}, out) == 0);
        return out.substr(0, out.find_last_not_of("\n") + 1);
      };
      for (const char* u : {"ann", "bob"}) REQUIRE(h.ctl({"run", "web.create-user", u}, out) == 0);
      std::string annLaptop = tokenFor("ann", "laptop"), annDesk = tokenFor("ann", "desk"), bob = tokenFor("bob", "pc");
      CHECK(post(annLaptop, codedAt(3600, 120), "Go", 10) == 201);
      CHECK(post(annDesk, codedAt(86400, -300), "Go", 100) == 201);
      CHECK(post(annDesk, codedAt(2 * 86400, 0), "Rust", 1000) == 201);
      CHECK(post(bob, codedAt(2 * 86400, 0), "Rust", 5) == 201);

      // Ann's desk goes: every aggregate of ann's keeps exactly the laptop's 10 XP.
      REQUIRE(h.ctl({"run", "web.delete-machine", "ann", "desk"}, out) == 0);
      REQUIRE(h.ctl({"run", "ingest.stats", "ann"}, out) == 0);
      INFO(out);
      for (const char* field : {"\"pulses\":1,", "\"xps_sum\":10,", "\"by_language\":10,", "\"by_machine\":10,",
                                "\"by_day\":10,", "\"by_hour\":10,", "\"totals\":10,"})
        CHECK_THAT(out, Catch::Contains(field));
      CHECK(post(annDesk, codedAt(10, 0), "Go", 1) == 403);

      // Ann's account goes: nothing of hers is left anywhere; bob's 5 XP are untouched.
      REQUIRE(h.ctl({"run", "web.delete-user", "ann"}, out) == 0);
      REQUIRE(h.ctl({"run", "ingest.stats"}, out) == 0);
      INFO(out);
      for (const char* field : {"\"pulses\":1,", "\"xps_sum\":5,", "\"by_language\":5,", "\"by_machine\":5,",
                                "\"by_day\":5,", "\"by_hour\":5,", "\"totals\":5,"})
        CHECK_THAT(out, Catch::Contains(field));
      CHECK(post(annLaptop, codedAt(10, 0), "Go", 1) == 403);
      REQUIRE(h.ctl({"run", "ingest.purge-orphans"}, out) == 0);
      CHECK(out == "removed 0 pulses of deleted users and machines\n");
    }
  }
}
