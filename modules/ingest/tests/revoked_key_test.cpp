// The built ingest.so on the SDK's fake host: a batch of POST /api/my/pulses whose tokens
// are all in ingest's verified-token cache, with one machine changed in web's table by the
// test (as another host's web would: ingest is not told). The pulse transaction re-checks
// every credential, so that pulse is refused and left out of the writes, and the others of
// the same batch are stored (docs/events.md, "Revoked machine keys").
#include <catch2/catch.hpp>

#include <codestats/testing/fake_host.hpp>

#include <ctime>
#include <string>
#include <vector>

#include "common/token.hpp"

#ifndef INGEST_MODULE_PATH
#error "INGEST_MODULE_PATH (the path of ingest.so) must be defined"
#endif

using codestats::testing::FakeHost;
using codestats::testing::HttpRequest;
using codestats::testing::HttpResponse;

namespace {

constexpr const char* kAuthError = R"({"error": "You must be authenticated"})";

// Web's users and machines (modules/web/schema.cpp), the columns ingest reads.
void createWebTables(FakeHost& host) {
  host.sql(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL, private_profile INTEGER NOT NULL DEFAULT "
      "0)");
  host.sql(
      "CREATE TABLE machines (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, name TEXT NOT NULL, active INTEGER "
      "NOT NULL DEFAULT 1, api_salt TEXT NOT NULL)");
  host.sql("INSERT INTO users (id, username) VALUES (1, 'alice'), (2, 'bob')");
  host.sql(
      "INSERT INTO machines (id, user_id, name, api_salt) VALUES (1, 1, 'desk', 'salt-1'), (2, 1, 'laptop', "
      "'salt-2'), (3, 1, 'server', 'salt-3')");
}

std::string token(int64_t machineId, const std::string& salt) {
  return codestats::common::generateToken(std::string(64, 'k'), salt, "alice", machineId);  // FakeHost's secret
}

HttpRequest pulse(const std::string& apiToken, int xp) {
  std::time_t t = std::time(nullptr) - 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char at[40];
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return HttpRequest{
      "POST",
      "/api/my/pulses",
      std::string(R"({"coded_at":")") + at + R"(","xps":[{"language":"C++","xp":)" + std::to_string(xp) + "}]}",
      {{"X-API-Token", apiToken}, {"Content-Type", "application/json"}}};
}

int64_t pulsesOf(FakeHost& host, int machineId) {
  return host.sql("SELECT COUNT(*) FROM pulses WHERE machine_id = $1", {machineId}).scalarInt();
}

}  // namespace

TEST_CASE("ingest: a batch stores the pulses whose credential holds and refuses the revoked one") {
  FakeHost host;
  host.declareContract("web.accounts", 1, {"users", "machines"});
  createWebTables(host);
  REQUIRE(host.loadLibrary(INGEST_MODULE_PATH) == "ingest");
  const std::string desk = token(1, "salt-1"), laptop = token(2, "salt-2"), server = token(3, "salt-3");

  // Each token verified once: all three are in ingest's cache now.
  for (const auto& t : {desk, laptop, server}) REQUIRE(host.request(pulse(t, 1)).status == 201);

  // The laptop's credential changes behind ingest's back (no forget_credentials call).
  std::string change;
  SECTION("key regenerated") { change = "UPDATE machines SET api_salt = 'salt-2-new' WHERE id = 2"; }
  SECTION("deactivated") { change = "UPDATE machines SET active = 0 WHERE id = 2"; }
  SECTION("deleted") { change = "DELETE FROM machines WHERE id = 2"; }
  SECTION("given to another user") { change = "UPDATE machines SET user_id = 2 WHERE id = 2"; }
  INFO(change);
  host.sql(change);

  std::vector<HttpResponse> r = host.requestBatch({pulse(desk, 10), pulse(laptop, 20), pulse(server, 30)});
  REQUIRE(r.size() == 3);
  CHECK(r[0].status == 201);
  CHECK(r[1].status == 403);
  CHECK(r[1].body == kAuthError);
  CHECK(r[2].status == 201);
  // The good two stored with their XP, nothing of the refused one, in every figure.
  CHECK(pulsesOf(host, 1) == 2);
  CHECK(pulsesOf(host, 2) == 1);
  CHECK(pulsesOf(host, 3) == 2);
  auto stats = host.runCommand("ingest.stats", {"alice"});
  REQUIRE(stats.ok());
  INFO(stats.output);
  for (const char* field : {"\"pulses\":5,", "\"xps_sum\":43,", "\"by_language\":43,", "\"by_machine\":43,",
                            "\"by_day\":43,", "\"by_hour\":43,", "\"totals\":43,"})
    CHECK(stats.output.find(field) != std::string::npos);
  // The refused token stays refused (its cache entry is gone and a fresh check fails).
  CHECK(host.request(pulse(laptop, 1)).status == 403);
  CHECK(pulsesOf(host, 2) == 1);
  CHECK(host.counter("pulses_revoked", "ingest") == 1);
}

TEST_CASE("ingest: a batch whose every credential was revoked stores nothing and answers 403 to each") {
  FakeHost host;
  host.declareContract("web.accounts", 1, {"users", "machines"});
  createWebTables(host);
  host.loadLibrary(INGEST_MODULE_PATH);
  const std::string desk = token(1, "salt-1");
  REQUIRE(host.request(pulse(desk, 1)).status == 201);
  host.sql("UPDATE machines SET api_salt = 'salt-1-new' WHERE id = 1");

  std::vector<HttpResponse> r = host.requestBatch({pulse(desk, 2), pulse(desk, 3)});
  for (const auto& one : r) {
    CHECK(one.status == 403);
    CHECK(one.body == kAuthError);
  }
  CHECK(pulsesOf(host, 1) == 1);
  // The new key works.
  CHECK(host.request(pulse(token(1, "salt-1-new"), 4)).status == 201);
  CHECK(pulsesOf(host, 1) == 2);
}
