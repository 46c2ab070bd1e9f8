// codestatsctl import-codestats (issue 18): an original Code::Stats database on the test
// PostgreSQL (tests/fixtures/codestats_original) imported into a running host on each
// backend: totals equal the original's, original tokens and bcrypt passwords work, clashes
// and bad sources are refused with nothing written, a killed import resumes, a second run
// imports only what is new.
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "common/token.hpp"
#include "db/postgres_connection.hpp"
#include "web_fixture.hpp"

using namespace codestats::test;

namespace {

const std::string kSecret(64, 'x');
const std::string kFixtures = std::string(CODESTATS_TEST_SOURCE_DIR) + "/tests/fixtures/codestats_original/";

std::string readFixture(const std::string& name) {
  std::ifstream in(kFixtures + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An original database in a schema of its own on PGTEST_URI.
struct Original {
  PgSchema schema;
  explicit Original(const std::vector<std::string>& scripts, std::map<std::string, std::string> vars = {}) {
    for (const auto& name : scripts) {
      std::string sql = readFixture(name);
      for (const auto& [k, v] : vars)
        for (size_t pos; (pos = sql.find(":" + k)) != std::string::npos;) sql.replace(pos, k.size() + 1, v);
      exec(sql);
    }
  }
  void exec(const std::string& sql) const {
    codestats::host::db::PostgresConnection::open(schema.conninfo())->execScript(sql);
  }
  codestats::host::db::ResultSet query(const std::string& sql) const {
    return codestats::host::db::PostgresConnection::open(schema.conninfo())->query(sql, nullptr, 0);
  }
  const std::string& conninfo() const { return schema.conninfo(); }
};

bool haveSourcePostgres() {
  const char* uri = std::getenv("PGTEST_URI");
  if (uri && *uri) return true;
  if (const char* ci = std::getenv("CI"); ci && *ci) FAIL("PGTEST_URI is not set (the original database needs it)");
  WARN("skipped: PGTEST_URI is not set (the original database is a PostgreSQL one)");
  return false;
}

std::map<std::string, int64_t> originalTotals(const Original& o) {
  auto r = o.query(
      "SELECT u.username, COALESCE(SUM(x.amount), 0) FROM users u LEFT JOIN pulses p ON p.user_id = u.id LEFT JOIN "
      "xps x ON x.pulse_id = p.id GROUP BY u.username");
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i < r.rows(); ++i) out[r.at(i, 0).s] = r.at(i, 1).i;
  return out;
}

std::map<std::string, int64_t> targetTotals(const WebSite& site) {
  auto r = site.sql("SELECT u.username, COALESCE(t.xp, 0) FROM users u LEFT JOIN user_totals t ON t.user_id = u.id");
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i < r.rows(); ++i) out[r.at(i, 0).s] = r.at(i, 1).i;
  return out;
}

int importInto(const WebSite& site, const std::vector<std::string>& args, std::string& out) {
  return site.h->ctl(std::vector<std::string>{"import-codestats"} + args, out);
}

// The secondary indexes of pulses and xps (a bulk import drops them until its end), by name.
std::set<std::string> pulseIndexes(const WebSite& site) {
  auto r = site.db.schema ? site.sql(
                                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN "
                                "('pulses', 'xps') AND indexname NOT LIKE '%_pkey'")
                          : site.sql(
                                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('pulses', 'xps') "
                                "AND name NOT LIKE 'sqlite_%'");
  std::set<std::string> out;
  for (size_t i = 0; i < r.rows(); ++i) out.insert(r.at(i, 0).s);
  return out;
}

// Rows of the aggregate tables that differ from what the pulses and xps add up to, both
// ways: a delta adds its batches' sums, a rebuild recomputes them; both must agree.
int64_t aggregateDifferences(const WebSite& site) {
  const std::string join = " FROM pulses p JOIN xps x ON x.pulse_id = p.id GROUP BY 1, 2";
  const std::pair<std::string, std::string> tables[] = {
      {"SELECT user_id, language_id, xp FROM user_language_xps",
       "SELECT p.user_id, x.language_id, SUM(x.amount)" + join},
      {"SELECT user_id, machine_id, xp FROM user_machine_xps", "SELECT p.user_id, p.machine_id, SUM(x.amount)" + join},
      {"SELECT user_id, day, xp FROM user_day_xps", "SELECT p.user_id, p.local_day, SUM(x.amount)" + join},
      {"SELECT user_id, hour, xp FROM user_hour_xps", "SELECT p.user_id, p.local_hour, SUM(x.amount)" + join},
      {"SELECT user_id, xp, last_pulse_at FROM user_totals",
       "SELECT p.user_id, COALESCE(SUM(x.amount), 0), MAX(p.sent_at) FROM pulses p LEFT JOIN xps x ON x.pulse_id = "
       "p.id GROUP BY 1"}};
  int64_t differences = 0;
  for (const auto& [stored, computed] : tables)
    for (const auto& [a, b] : {std::pair(stored, computed), std::pair(computed, stored)})
      differences += site.sql("SELECT COUNT(*) FROM (SELECT * FROM (" + a + ") a EXCEPT SELECT * FROM (" + b + ") b) d")
                         .at(0, 0)
                         .i;
  return differences;
}

HttpReply pulseWith(const WebSite& site, const std::string& token) {
  std::string body = R"({"coded_at":")" + codedAtAgo(60, 120) + R"(","xps":[{"language":"Rust","xp":7}]})";
  return site.h->request("POST", "/api/my/pulses", body,
                         {{"X-API-Token", token}, {"Content-Type", "application/json"}});
}

std::string tokenOf(const std::string& username, int64_t machineId, const std::string& salt) {
  return codestats::common::generateToken(kSecret, salt, username, machineId);
}

}  // namespace

TEST_CASE("import-codestats: the fixture original into an empty target, then a delta", "[import][db]") {
  if (!haveSourcePostgres()) return;
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Original original({"schema.sql", "rows.sql", "cache.sql"});
      // Pulse 12 comes back later, received after the first run's snapshot with a lower id
      // than the watermark: the delta's look-back must find it.
      original.exec("DELETE FROM pulses WHERE id = 12");
      WebSite site(backend, "web,ingest,cache", {"--set", "secret_key_base=" + kSecret});
      std::string out;
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      INFO(out);
      CHECK(contains(out, "11 imported, 0 already there"));
      CHECK(contains(out, "original pulse ids kept"));
      CHECK(contains(out, "'laptop' -> 'laptop (7)'"));
      CHECK(contains(out, "'LAPTOP' -> 'LAPTOP (8)'"));
      CHECK(contains(out, "'a/b+c'"));
      CHECK(contains(out, "legacy      2 pulses"));
      CHECK(targetTotals(site) == originalTotals(original));
      CHECK(aggregateDifferences(site) == 0);

      // Users, machines and languages as they were: ids, flags, case, aliases.
      CHECK(site.count("users WHERE username = 'private_pat' AND private_profile = 1 AND id = 2") == 1);
      CHECK(site.count("users WHERE username = 'Nicd' AND gravatar_email = 'avatar@example.com' AND terms_version = "
                       "'2018-05-25' AND inserted_at = 1458468000123") == 1);
      CHECK(site.count("machines WHERE id = 2 AND active = 0 AND name = 'Old laptop'") == 1);
      CHECK(site.count("languages l JOIN languages a ON a.id = l.alias_of WHERE l.name = 'javascript react' AND "
                       "a.name = 'JavaScript'") == 1);
      CHECK(site.count("pulses WHERE id = 1 AND sent_at = 1483227000654 AND tz_offset = 0 AND local_day = 20161231") ==
            1);

      // Tokens made with the original algorithm from the original salts.
      CHECK(pulseWith(site, tokenOf("Nicd", 1, "$2b$12$abcdefghijklmnopqrstuu")).status == 201);
      CHECK(pulseWith(site, tokenOf("twins", 7, "$2b$12$FFFFFFFFFFFFFFFFFFFFFF")).status == 201);  // a renamed twin
      CHECK(pulseWith(site, tokenOf("😂", 5, "$2b$12$DDDDDDDDDDDDDDDDDDDDDD")).status == 201);
      CHECK(pulseWith(site, tokenOf("a/b+c", 9, "$2b$12$HHHHHHHHHHHHHHHHHHHHHH")).status == 201);
      CHECK(pulseWith(site, tokenOf("Nicd", 2, "$2b$12$AAAAAAAAAAAAAAAAAAAAAA")).status == 403);    // inactive
      CHECK(site.count("user_machine_xps WHERE user_id = 5 AND machine_id = 7 AND xp = 29") == 1);  // 22 + 7

      // The bcrypt password logs in through the form and is rehashed to argon2id.
      WebClient c = site.client();
      CHECK(site.login(c, "nicd", "test_password").status == 302);
      CHECK(site.count("users WHERE username = 'Nicd' AND password_hash LIKE '$argon2id$%'") == 1);
      WebClient other = site.client();
      CHECK(site.login(other, "foo bar", "wrong").status == 404);

      // Delta: the late pulse and a new one; the original's side only.
      original.exec(
          "INSERT INTO pulses (id, sent_at, sent_at_local, tz_offset, user_id, machine_id, inserted_at, updated_at) "
          "VALUES (12, '2020-09-03 11:00:00', '2020-09-03 13:00:00', 120, 1, 1, now(), now()), "
          "(13, '2020-09-04 09:00:00', '2020-09-04 09:00:00', 0, 3, 4, now(), now());"
          "INSERT INTO xps (pulse_id, amount, language_id, original_language_id, inserted_at, updated_at) VALUES "
          "(12, 9, 3, 3, now(), now()), (13, 17, 2, 2, now(), now());");
      auto before = targetTotals(site);
      // The pulses sent above took ids the delta's pulses had in the original.
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      INFO(out);
      CHECK(contains(out, "2 imported"));
      CHECK(contains(out, "a delta import"));
      CHECK(contains(out, "aggregates: added per batch"));
      CHECK(aggregateDifferences(site) == 0);
      auto after = targetTotals(site);
      CHECK(after["Nicd"] == before["Nicd"] + 9);
      CHECK(after["foo bar"] == before["foo bar"] + 17);
      // A third run finds nothing new.
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      CHECK(contains(out, "0 imported"));

      // --verify: the figures written through the API since are the differences.
      REQUIRE(importInto(site, {original.conninfo(), "--verify"}, out) == 1);
      std::string tables = out.substr(0, out.find("against the original's users.cache"));
      CHECK(contains(tables, "user 'Nicd': total: original "));
      CHECK_FALSE(contains(tables, "user 'foo bar'"));  // its delta pulse is imported
    }
  }
}

TEST_CASE("import-codestats: --verify against the tables and users.cache", "[import][db]") {
  if (!haveSourcePostgres()) return;
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Original original({"schema.sql", "rows.sql", "cache.sql"});
      // A stale cache in the original (its refresher had not run since a pulse).
      original.exec("UPDATE users SET cache = jsonb_set(cache, '{languages,8}', '5') WHERE id = 3");
      WebSite site(backend, "web,ingest", {"--set", "secret_key_base=" + kSecret});
      std::string out;
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      REQUIRE(importInto(site, {original.conninfo(), "--verify"}, out) == 0);
      INFO(out);
      CHECK(contains(out, "against the original's tables: 0 difference(s)"));
      CHECK(contains(out, "against the original's users.cache: 2 difference(s)"));
      CHECK(contains(out, "user 'foo bar': language 'CoffeeScript': original 5 (users.cache), codestatsd 12"));
    }
  }
}

TEST_CASE("import-codestats: bad sources and clashes are refused with nothing written", "[import][db]") {
  if (!haveSourcePostgres()) return;
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      WebSite site(backend, "web,ingest", {"--set", "secret_key_base=" + kSecret});
      auto nothingWritten = [&] {
        CHECK(site.count("users WHERE username <> 'NICD'") == 0);
        CHECK(site.count("machines") == 0);
        CHECK(site.count("pulses") == 0);
      };
      std::string out;
      CHECK(importInto(site, {"host=127.0.0.1 port=1 dbname=nothing connect_timeout=2"}, out) == 1);
      CHECK(contains(out, "cannot connect to the original database"));
      nothingWritten();

      Original empty({});
      CHECK(importInto(site, {empty.conninfo()}, out) == 1);
      CHECK(contains(out, "not a Code::Stats database"));
      CHECK(contains(out, "nothing was written"));
      empty.exec("CREATE TABLE schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp)");
      CHECK(importInto(site, {empty.conninfo()}, out) == 1);
      CHECK(contains(out, "has no column"));
      nothingWritten();

      Original newer({"schema.sql", "rows.sql"});
      newer.exec("INSERT INTO schema_migrations (version) VALUES (20210101000000)");
      CHECK(importInto(site, {newer.conninfo()}, out) == 1);
      CHECK(contains(out, "at migration 20210101000000"));
      nothingWritten();

      // A username taken (case-insensitively) by an account of the target.
      site.run({"run", "web.create-user", "NICD"});
      Original original({"schema.sql", "rows.sql"});
      CHECK(importInto(site, {original.conninfo()}, out) == 3);
      CHECK(contains(out, "refused, nothing was written"));
      CHECK(contains(out, "username 'Nicd'"));
      nothingWritten();
      CHECK(site.count("languages") == 0);
      site.run({"run", "web.delete-user", "NICD"});

      // A language aliased otherwise in the target.
      site.run({"run", "ingest.alias-language", "c++", "Rust"});
      CHECK(importInto(site, {original.conninfo()}, out) == 3);
      CHECK(contains(out, "language 'C++' is canonical in the original but an alias of 'rust' in the target"));
      nothingWritten();
    }
  }
}

TEST_CASE("import-codestats: an import killed with SIGKILL resumes", "[import][db]") {
  if (!haveSourcePostgres()) return;
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      // Enough pulses for a bulk run (ingest defers the pulse indexes from 50,000 on).
      Original original({"schema.sql", "generate.sql"}, {{"users", "50"}, {"pulses", "60000"}});
      WebSite site(backend, "web,ingest", {"--set", "secret_key_base=" + kSecret});
      const std::set<std::string> indexes = pulseIndexes(site);
      REQUIRE(indexes.size() >= 3);
      pid_t ctl = spawnProcess(
          {ctlBinary(), "--var-dir", site.h->varDir(), "import-codestats", original.conninfo(), "--batch", "10"});
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (site.count("pulses") < 200 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      ::kill(ctl, SIGKILL);
      int status = 0;
      ::waitpid(ctl, &status, 0);
      int64_t partial = site.count("pulses");
      INFO("pulses after the kill: " << partial);
      CHECK(partial > 0);
      CHECK(partial < 60000);
      CHECK(pulseIndexes(site).empty());  // deferred, and still off after the kill
      std::string out;
      REQUIRE(site.h->ctl({"import-codestats", original.conninfo(), "--batch", "2000"}, out) == 0);
      INFO(out);
      CHECK(contains(out, "resuming after original pulse"));
      CHECK(contains(out, "indexing the pulses"));
      CHECK(pulseIndexes(site) == indexes);
      CHECK(site.count("pulses") == 60000);
      CHECK(targetTotals(site) == originalTotals(original));
      CHECK(site.h->ctl({"import-codestats", original.conninfo(), "--verify"}, out) == 0);
    }
  }
}

TEST_CASE("import-codestats: a delta killed with SIGKILL resumes with every aggregate exact", "[import][db]") {
  if (!haveSourcePostgres()) return;
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Original original({"schema.sql", "generate.sql"}, {{"users", "20"}, {"pulses", "3000"}});
      // Rebuilds in passes of about 400 pulses' users: the bounded-memory path.
      WebSite site(backend, "web,ingest,cache",
                   {"--set", "secret_key_base=" + kSecret, "--set", "modules.ingest.rebuild_pulses_per_pass=400"});
      std::string out;
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      CHECK(aggregateDifferences(site) == 0);
      // 6,000 more pulses of every user on recent days, then a delta killed half-way.
      original.exec(
          "INSERT INTO pulses (id, sent_at, sent_at_local, tz_offset, user_id, machine_id, inserted_at, updated_at) "
          "SELECT 3000 + g, now()::timestamp - g * interval '7 minutes', now()::timestamp - g * interval '7 minutes', "
          "0, 1 + g % 20, (g % 20) * 3 + 1, now(), now() FROM generate_series(1, 6000) g;"
          "INSERT INTO xps (amount, pulse_id, language_id, original_language_id, inserted_at, updated_at) "
          "SELECT 1 + g % 9, 3000 + g, 1 + g % 4, 1 + g % 4, now(), now() FROM generate_series(1, 6000) g;");
      pid_t ctl = spawnProcess(
          {ctlBinary(), "--var-dir", site.h->varDir(), "import-codestats", original.conninfo(), "--batch", "10"});
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (site.count("pulses") < 3200 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      ::kill(ctl, SIGKILL);
      int status = 0;
      ::waitpid(ctl, &status, 0);
      const int64_t partial = site.count("pulses");
      INFO("pulses after the kill: " << partial);
      CHECK(partial > 3000);
      CHECK(partial < 9000);
      // Every committed batch added its sums: exact even before the next run.
      CHECK(aggregateDifferences(site) == 0);
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      INFO(out);
      CHECK(contains(out, "an interrupted run"));
      CHECK(contains(out, "rebuilding every user"));
      CHECK(site.count("pulses") == 9000);
      CHECK(targetTotals(site) == originalTotals(original));
      CHECK(aggregateDifferences(site) == 0);
      CHECK(importInto(site, {original.conninfo(), "--verify"}, out) == 0);
      // The rebuild command recomputes the same figures.
      CHECK(site.h->ctl({"run", "ingest.rebuild-aggregates", "--all"}, out) == 0);
      CHECK(aggregateDifferences(site) == 0);
    }
  }
}

TEST_CASE("import-codestats: into a target with users, machines and pulses of its own", "[import][db]") {
  if (!haveSourcePostgres()) return;
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Original original({"schema.sql", "rows.sql"});
      WebSite site(backend, "web,ingest,cache", {"--set", "secret_key_base=" + kSecret});
      // The target's own account: user id 1 and machine id 1, as the original's Nicd and
      // his 'Desktop'; its pulses take ids 1 and 2, as the original's first pulses.
      site.run({"run", "web.create-user", "own"});
      const std::string ownToken = trimmed(site.run({"run", "web.create-machine", "own", "box"}));
      REQUIRE(site.count("users WHERE id = 1 AND username = 'own'") == 1);
      REQUIRE(site.count("machines WHERE id = 1") == 1);
      REQUIRE(pulseWith(site, ownToken).status == 201);
      REQUIRE(pulseWith(site, ownToken).status == 201);
      const int64_t ownXp = targetTotals(site)["own"];
      REQUIRE(ownXp == 14);

      std::string out;
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      INFO(out);
      CHECK(contains(out, "the target held pulses: original pulse ids are stored plus 2"));
      CHECK(contains(out, "ids mapped (2)"));  // Nicd and Desktop, nothing after them
      CHECK(contains(out, "user 'Nicd': id 1 is taken in the target"));
      CHECK(contains(out, "machine 'Desktop' (user id 1): id 1 is taken in the target"));

      // The target's own data untouched.
      CHECK(site.count("users WHERE id = 1 AND username = 'own'") == 1);
      CHECK(site.count("machines WHERE id = 1 AND user_id = 1 AND name = 'box'") == 1);
      CHECK(site.count("pulses WHERE user_id = 1") == 2);
      auto totals = targetTotals(site);
      CHECK(totals["own"] == ownXp);
      CHECK(pulseWith(site, ownToken).status == 201);
      // Every imported user's total equals the original's.
      for (const auto& [name, xp] : originalTotals(original)) {
        INFO(name);
        CHECK(totals[name] == xp);
      }
      // Nicd and Desktop got ids above every original id; the other ids are kept.
      auto nicd = site.sql("SELECT id FROM users WHERE username = 'Nicd'");
      auto desktop = site.sql(
          "SELECT m.id FROM machines m JOIN users u ON u.id = m.user_id WHERE u.username = "
          "'Nicd' AND m.name = 'Desktop'");
      REQUIRE(nicd.rows() == 1);
      REQUIRE(desktop.rows() == 1);
      CHECK(nicd.at(0, 0).i > 7);
      CHECK(desktop.at(0, 0).i > 9);
      CHECK(site.count("users WHERE id = 3 AND username = 'foo bar'") == 1);
      CHECK(site.count("machines WHERE id = 4 AND name = 'pc' AND user_id = 3") == 1);

      // The mapped machine's old token (machine id 1) is refused, its new one works; a
      // kept-id machine's original token works unchanged.
      const std::string desktopSalt = "$2b$12$abcdefghijklmnopqrstuu";
      CHECK(pulseWith(site, tokenOf("Nicd", 1, desktopSalt)).status == 403);
      CHECK(pulseWith(site, tokenOf("Nicd", desktop.at(0, 0).i, desktopSalt)).status == 201);
      CHECK(pulseWith(site, tokenOf("foo bar", 4, "$2b$12$CCCCCCCCCCCCCCCCCCCCCC")).status == 201);
      CHECK(targetTotals(site)["own"] == ownXp + 7);  // only its own third pulse

      // A second run maps the same rows again, adds nothing, and updates what changed in
      // the original (unchanged users are left alone).
      original.exec("UPDATE users SET private_profile = true WHERE username = 'foo bar'");
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      CHECK(contains(out, "0 imported"));
      CHECK(site.count("users WHERE username = 'Nicd'") == 1);
      CHECK(site.count("users WHERE username = 'foo bar' AND private_profile = 1") == 1);
      CHECK(site.count("users WHERE username = 'twins' AND private_profile = 0") == 1);
    }
  }
}

namespace {

// The usernames of the user.changed events the event probe recorded, in order, up to the
// one for `last` (a user created after the run: every event before it has arrived).
std::vector<std::string> changedUsers(const WebSite& site, const std::string& last) {
  WebClient c = site.client();
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto events = Poco::JSON::Parser()
                      .parse(c.get("/probe/events", {{"Accept", "application/json"}}).body)
                      .extract<Poco::JSON::Array::Ptr>();
    std::vector<std::string> names;
    for (size_t i = 0; i < events->size(); ++i) {
      auto e = events->getObject(static_cast<unsigned>(i));
      if (e->getValue<std::string>("topic") != "user.changed") continue;
      names.push_back(e->getObject("payload")->getValue<std::string>("username"));
      if (names.back() == last) return names;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("no user.changed for " << last);
  return {};
}

}  // namespace

TEST_CASE("import-codestats: a second run's batch mixing unchanged, changed, kept, mapped and renamed rows",
          "[import][db]") {
  if (!haveSourcePostgres()) return;
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Original original({"schema.sql", "rows.sql"});
      WebSite site(backend, "web,ingest,event_probe",
                   {"--set", "secret_key_base=" + kSecret, "--set",
                    std::string("modules.event_probe.artifact=") + WEB_EVENT_PROBE});
      // The target's own account takes user and machine id 1: the first run gives Nicd 8
      // and Desktop 10 (above the original's 7 and 9).
      site.run({"run", "web.create-user", "own"});
      site.run({"run", "web.create-machine", "own", "box"});
      std::string out;
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      REQUIRE(site.count("users WHERE id = 8 AND username = 'Nicd'") == 1);
      REQUIRE(site.count("machines WHERE id = 10 AND name = 'Desktop'") == 1);
      site.run({"run", "web.create-user", "after_first"});
      CHECK(changedUsers(site, "after_first").size() == 1 + 7 + 1);  // own, the original's 7

      // Meanwhile in the original: one user changed, three new ones (8 is Nicd's in the
      // target and 9 after_first's: mapped, above the original's new highest, 12, which is
      // free: kept), a new case-only twin whose id 10 is Desktop's in the target (renamed
      // and mapped), and a machine with a free id.
      original.exec(
          "UPDATE users SET private_profile = true WHERE username = 'foo bar';"
          "INSERT INTO users (id, username, password, inserted_at, updated_at, private_profile, terms_version) VALUES "
          "(8, 'newbie', 'x', now(), now(), false, '2018-05-25'), (9, 'fresh', 'x', now(), now(), false, "
          "'2018-05-25'), (12, 'keeper', 'x', now(), now(), false, '2018-05-25');"
          "INSERT INTO machines (id, name, user_id, api_salt, active, inserted_at, updated_at) VALUES "
          "(10, 'lapTop', 5, '$2b$12$IIIIIIIIIIIIIIIIIIIIII', true, now(), now()), "
          "(11, 'new box', 8, '$2b$12$JJJJJJJJJJJJJJJJJJJJJJ', true, now(), now());");
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      INFO(out);
      CHECK(contains(out, "'lapTop' -> 'lapTop (10)'"));
      CHECK(contains(out, "'laptop' -> 'laptop (7)'"));  // the first run's twins, renamed alike
      CHECK(contains(out, "user 'newbie': id 8 is taken in the target"));
      CHECK(contains(out, "machine 'lapTop' (user id 5): id 10 is taken in the target"));
      CHECK(contains(out, "user 'fresh': id 9 is taken in the target"));
      CHECK_FALSE(contains(out, "user 'keeper'"));

      // New ids above the original's highest (12 users, 11 machines), the target's and
      // those given out before them in the batch.
      CHECK(site.count("users WHERE id = 13 AND username = 'newbie'") == 1);
      CHECK(site.count("users WHERE id = 14 AND username = 'fresh'") == 1);
      CHECK(site.count("users WHERE id = 12 AND username = 'keeper'") == 1);
      CHECK(site.count("machines WHERE id = 12 AND user_id = 5 AND name = 'lapTop (10)'") == 1);
      CHECK(site.count("machines WHERE id = 11 AND user_id = 13 AND name = 'new box'") == 1);
      CHECK(site.count("machines WHERE id = 7 AND name = 'laptop (7)'") == 1);
      CHECK(site.count("users WHERE username = 'foo bar' AND private_profile = 1") == 1);
      CHECK(site.count("import_id_map WHERE kind = 'user'") == 10);
      CHECK(site.count("import_id_map WHERE kind = 'machine'") == 11);
      CHECK(pulseWith(site, tokenOf("twins", 12, "$2b$12$IIIIIIIIIIIIIIIIIIIIII")).status == 201);
      CHECK(pulseWith(site, tokenOf("newbie", 11, "$2b$12$JJJJJJJJJJJJJJJJJJJJJJ")).status == 201);

      // user.changed for the changed and the new users only, in the batch's order.
      site.run({"run", "web.create-user", "after_second"});
      auto names = changedUsers(site, "after_second");
      REQUIRE(names.size() >= 5);
      CHECK(std::vector<std::string>(names.end() - 5, names.end()) ==
            std::vector<std::string>{"foo bar", "newbie", "fresh", "keeper", "after_second"});
      CHECK(names.size() == 9 + 5);

      // A third run writes nothing and publishes nothing.
      REQUIRE(importInto(site, {original.conninfo()}, out) == 0);
      site.run({"run", "web.create-user", "after_third"});
      names = changedUsers(site, "after_third");
      CHECK(names.size() == 14 + 1);
    }
  }
}

namespace {

// Runs codestatsctl with its standard output and error on a pseudo-terminal; returns the
// exit status and everything it wrote there.
int ctlOnTerminal(const std::vector<std::string>& args, std::string& out) {
  int master = -1, slave = -1;
  REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(slave, 1);
    ::dup2(slave, 2);
    ::close(master);
    ::close(slave);
    std::vector<char*> argv;
    std::string bin = ctlBinary();
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(slave);
  out.clear();
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(master);  // read() fails with EIO once the child has closed its side
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("import-codestats: a progress bar per table on a terminal, plain lines otherwise", "[import][db]") {
  if (!haveSourcePostgres()) return;
  Original original({"schema.sql", "generate.sql"}, {{"users", "30"}, {"pulses", "3000"}});
  WebSite site("sqlite", "web,ingest,cache", {"--set", "secret_key_base=" + kSecret});
  std::string tty;
  REQUIRE(ctlOnTerminal({"--var-dir", site.h->varDir(), "import-codestats", original.conninfo(), "--batch", "100"},
                        tty) == 0);
  INFO(tty);
  // Each table's bar is drawn at once and redrawn in place (\r, erase to the end of the
  // line), with rows/s and the ETA, and ends with the time taken.
  for (const std::string table : {"users", "pulses", "cache"}) {
    INFO(table);
    CHECK(contains(tty, "\r" + table));
    CHECK(std::regex_search(tty, std::regex("\r" + table +
                                            " +\\[[#.]{30}\\] +[0-9]+% [0-9]+/[0-9]+  [0-9]+ rows/s  "
                                            "ETA ([0-9]+:[0-9]{2}|--:--)\x1b\\[K")));
    CHECK(std::regex_search(tty, std::regex("\r" + table +
                                            " +\\[#{30}\\] 100% ([0-9]+)/\\1  [0-9]+ rows/s  in [0-9]+ "
                                            "s\x1b\\[K\r?\n")));
  }
  CHECK(contains(tty, "pulses     [##############################] 100% 3000/3000"));

  // Not a terminal (a pipe): no bar, no control characters, a plain line per table.
  Original second({"schema.sql", "generate.sql"}, {{"users", "30"}, {"pulses", "3000"}});
  WebSite other("sqlite", "web,ingest,cache", {"--set", "secret_key_base=" + kSecret});
  std::string plain;
  REQUIRE(other.h->ctl({"import-codestats", second.conninfo(), "--batch", "100"}, plain) == 0);
  INFO(plain);
  CHECK_FALSE(contains(plain, "\r"));
  CHECK_FALSE(contains(plain, "\x1b["));
  CHECK_FALSE(contains(plain, "[###"));
  CHECK(std::regex_search(plain, std::regex("\nusers: 30/30 \\(100%\\), [0-9]+ rows/s, took [0-9]+ s\n")));
  CHECK(std::regex_search(plain, std::regex("\npulses: 3000/3000 \\(100%\\), [0-9]+ rows/s, took [0-9]+ s\n")));
  CHECK(std::regex_search(plain, std::regex("\ncache: 30/30 \\(100%\\), [0-9]+ rows/s, took [0-9]+ s\n")));
}
