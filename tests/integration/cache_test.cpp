// The cache module against a real host with web, ingest, cache and the "probe" fixture
// (tests/fixtures/cache_probe.cpp: a cache.v1 consumer route, an event publisher and SQL),
// on every DB backend: random pulses through the real ingest path with concurrent readers,
// aliases, machine deactivation, a privacy change and a user deletion; afterwards every
// cached profile must equal a recomputation from the pulses table. And 20 reloads of the
// cache under steady reads and writes: no failed request, no cold period, still exact.
#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "backends.hpp"
#include "ws_client.hpp"

using namespace codestats::test;

namespace {

using Clock = std::chrono::steady_clock;

Poco::JSON::Object::Ptr json(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Object::Ptr>();
}
Poco::JSON::Array::Ptr jsonArray(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Array::Ptr>();
}
std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}
int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string codedAt(int64_t agoSeconds, int offsetMinutes) { return codedAtAgo(agoSeconds, offsetMinutes); }

std::string isoDay(int64_t yyyymmdd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(yyyymmdd / 10000),
                static_cast<int>(yyyymmdd / 100 % 100), static_cast<int>(yyyymmdd % 100));
  return buf;
}

struct Machine {
  std::string user, name, token;
  int64_t id = 0;
  bool active = true;
};

struct CacheHost {
  BackendArgs db;
  std::unique_ptr<HostProcess> h;
  std::vector<Machine> machines;

  explicit CacheHost(const std::string& backend) : db(backendArgs(backend)) {
    h = std::make_unique<HostProcess>(
        db.args + std::vector<std::string>{"--set", "modules=web,ingest,cache,probe", "--set",
                                           "modules.probe.artifact=" + fixture("cache_probe"), "--set",
                                           "modules.cache.refresh_interval_ms=300", "--set", "log.level=info"});
  }
  std::string run(const std::vector<std::string>& args) {
    std::string out;
    int rc = h->ctl(args, out);
    INFO(out);
    REQUIRE(rc == 0);
    return out;
  }
  int runRc(const std::vector<std::string>& args, std::string& out) { return h->ctl(args, out); }
  // The database, directly (rows a module would not write this way).
  codestats::host::db::ResultSet sql(const std::string& q, const std::vector<std::string>& args = {}) {
    if (!pool) pool = openTestDb(db, h->varDir() + "/codestats.db");
    return runSql(*pool, q, args);
  }
  std::unique_ptr<codestats::host::db::Pool> pool;
  void createUser(const std::string& name, bool isPrivate = false) {
    std::vector<std::string> a{"run", "web.create-user", name};
    if (isPrivate) a.push_back("--private");
    run(a);
  }
  HttpReply post(const std::string& token, int64_t agoSeconds, int offset, const std::string& xps) {
    return h->request("POST", "/api/my/pulses",
                      R"({"coded_at":")" + codedAt(agoSeconds, offset) + R"(","xps":)" + xps + "}",
                      {{"X-API-Token", token}, {"Content-Type", "application/json"}});
  }
  // Creates a machine and learns its id from a first pulse.
  Machine& addMachine(const std::string& user, const std::string& name) {
    Machine m{user, name, trim(run({"run", "web.create-machine", user, name}))};
    auto r = post(m.token, 60, 0, R"([{"language":"C++","xp":1}])");
    REQUIRE(r.status == 201);
    m.id = jsonArray(run({"run", "ingest.pulses", user, "1"}))->getObject(0)->getValue<int64_t>("machine_id");
    machines.push_back(m);
    return machines.back();
  }
  Poco::JSON::Object::Ptr status() { return json(run({"run", "cache.status"})); }
  void waitIdle() {
    auto end = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < end) {
      if (!status()->getValue<bool>("busy")) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("cache still busy after 60 s: " << run({"run", "cache.status"}));
  }
};

// What cache.v1 profile must say, recomputed from the pulses table (ingest.pulses).
struct Expected {
  int64_t total = 0, newXp = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> languages, machines;  // name -> (xps, new_xps)
  std::map<std::string, int64_t> dates, hours;
  std::map<std::pair<std::string, std::string>, int64_t> dayLanguage;  // all days; filtered by since
  std::vector<std::pair<int64_t, int64_t>> capped;                     // (sent_at, min(amount,400))
};

Expected recompute(CacheHost& c, const std::string& user) {
  Expected e;
  auto pulses = jsonArray(c.run({"run", "ingest.pulses", user, "1000000"}));
  int64_t recentFrom = nowMs() - 12 * 3600 * 1000;
  for (size_t i = 0; i < pulses->size(); ++i) {
    auto p = pulses->getObject(static_cast<unsigned>(i));
    int64_t sentAt = p->getValue<int64_t>("sent_at");
    int64_t machineId = p->getValue<int64_t>("machine_id");
    bool recent = sentAt >= recentFrom;
    int64_t sum = 0;
    auto xps = p->getArray("xps");
    std::string day = isoDay(p->getValue<int64_t>("local_day"));
    for (size_t k = 0; k < xps->size(); ++k) {
      auto x = xps->getObject(static_cast<unsigned>(k));
      int64_t amount = x->getValue<int64_t>("amount");
      std::string lang = x->getValue<std::string>("language");
      sum += amount;
      e.languages[lang].first += amount;
      if (recent) e.languages[lang].second += amount;
      e.dayLanguage[{day, lang}] += amount;
      e.capped.emplace_back(sentAt, std::min<int64_t>(amount, 400));
    }
    e.total += sum;
    if (recent) e.newXp += sum;
    e.dates[day] += sum;
    e.hours[std::to_string(p->getValue<int64_t>("local_hour"))] += sum;
    for (const auto& m : c.machines)
      if (m.id == machineId && m.active) {
        e.machines[m.name].first += sum;
        if (recent) e.machines[m.name].second += sum;
      }
  }
  return e;
}

void checkProfile(CacheHost& c, const std::string& user) {
  Expected e = recompute(c, user);
  std::string out = c.run({"run", "cache.profile", user, user});
  INFO(user << ": " << out);
  auto j = json(out);
  CHECK(j->getValue<std::string>("user") == user);
  CHECK(j->getValue<int64_t>("total_xp") == e.total);
  CHECK(j->getValue<int64_t>("new_xp") == e.newXp);
  auto pairs = [](Poco::JSON::Object::Ptr o) {
    std::map<std::string, std::pair<int64_t, int64_t>> m;
    for (const auto& [k, v] : *o) {
      auto x = v.extract<Poco::JSON::Object::Ptr>();
      m[k] = {x->getValue<int64_t>("xps"), x->getValue<int64_t>("new_xps")};
    }
    return m;
  };
  auto flat = [](Poco::JSON::Object::Ptr o) {
    std::map<std::string, int64_t> m;
    for (const auto& [k, v] : *o) m[k] = v.convert<int64_t>();
    return m;
  };
  CHECK(pairs(j->getObject("languages")) == e.languages);
  CHECK(pairs(j->getObject("machines")) == e.machines);
  CHECK(flat(j->getObject("dates")) == e.dates);
  CHECK(flat(j->getObject("hours")) == e.hours);
  std::string since = j->getValue<std::string>("day_language_since");
  std::map<std::pair<std::string, std::string>, int64_t> dayLanguage;
  auto dl = j->getArray("day_language_xps");
  for (size_t i = 0; i < dl->size(); ++i) {
    auto x = dl->getObject(static_cast<unsigned>(i));
    dayLanguage[{x->getValue<std::string>("date"), x->getValue<std::string>("language")}] = x->getValue<int64_t>("xp");
  }
  std::map<std::pair<std::string, std::string>, int64_t> expectedDayLanguage;
  for (const auto& [k, xp] : e.dayLanguage)
    if (k.first >= since) expectedDayLanguage[k] = xp;
  CHECK(dayLanguage == expectedDayLanguage);
}

const char* kLanguages[] = {"C++", "Python", "JS", "JavaScript", "Rust", "elixir"};

std::string randomXps(std::mt19937& rng) {
  int n = 1 + static_cast<int>(rng() % 3);
  std::string out = "[";
  std::set<int> used;
  for (int i = 0; i < n; ++i) {
    int l = static_cast<int>(rng() % 6);
    if (!used.insert(l).second) continue;
    if (out.size() > 1) out += ",";
    out += R"({"language":")" + std::string(kLanguages[l]) + R"(","xp":)" + std::to_string(1 + rng() % 600) + "}";
  }
  return out + "]";
}

// Ages that stay clear of the 12 h and 4 h window edges while the test runs.
int64_t randomAge(std::mt19937& rng) {
  switch (rng() % 4) {
    case 0: return 5 + static_cast<int64_t>(rng() % (3 * 3600));            // < 3 h
    case 1: return 5 * 3600 + static_cast<int64_t>(rng() % (6 * 3600));     // 5-11 h
    default: return 13 * 3600 + static_cast<int64_t>(rng() % (5 * 86400));  // 13 h - 5 days
  }
}

const int kOffsets[] = {-600, -300, 0, 60, 330, 720, 840};

// Stops and joins the test's client threads when a REQUIRE leaves the scope early.
struct JoinOnExit {
  std::atomic<bool>& stop;
  std::vector<std::thread>& threads;
  ~JoinOnExit() {
    stop = true;
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
};

// Waits until `counter` reached `target`: concurrent work is counted, not assumed from a
// sleep. The deadline is only for a host that stopped answering.
void awaitCount(const std::atomic<long>& counter, long target, const char* what) {
  auto end = Clock::now() + std::chrono::seconds(120);
  while (counter < target && Clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  INFO(what << ": " << counter << " of " << target);
  REQUIRE(counter >= target);
}

}  // namespace

TEST_CASE("cache: every cached profile equals a recomputation from the pulses table", "[cache][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      CacheHost c(backend);
      for (const char* u : {"ann", "bob", "cyd"}) c.createUser(u);
      c.createUser("dee", true);
      for (const char* u : {"ann", "bob", "cyd", "dee"}) {
        c.addMachine(u, std::string(u) + "-laptop");
        c.addMachine(u, std::string(u) + "-desk");
      }
      std::set<std::string> deleted;
      std::mutex deletedMutex;
      std::atomic<bool> stop{false};
      std::atomic<long> reads{0}, badReads{0};
      std::string firstBad;
      std::vector<std::thread> readers;
      for (int r = 0; r < 2; ++r)
        readers.emplace_back([&, r] {
          std::mt19937 rng(static_cast<unsigned>(r + 1));
          const char* users[] = {"ann", "bob", "cyd", "dee"};
          while (!stop) {
            std::string u = users[rng() % 4];
            auto reply = c.h->get("/probe/profile/" + u + "?viewer=" + u);
            ++reads;
            std::lock_guard lock(deletedMutex);
            if (reply.status != 200 && !(reply.status == 404 && deleted.count(u)) && !badReads++)
              firstBad = u + ": " + std::to_string(reply.status) + " " + reply.body;
          }
        });
      JoinOnExit joinReaders{stop, readers};

      std::mt19937 rng(42);
      for (int i = 0; i < 200; ++i) {
        if (i == 60) {  // a machine deactivated: gone from machines, its XP still counts
          c.run({"run", "web.set-machine-active", "ann", "ann-desk", "false"});
          for (auto& m : c.machines)
            if (m.name == "ann-desk") m.active = false;
        }
        if (i == 100) c.run({"run", "ingest.alias-language", "JS", "JavaScript"});
        if (i == 140) {  // a user deleted through web (which deletes the XP through ingest)
          {
            std::lock_guard lock(deletedMutex);
            deleted.insert("cyd");
          }
          c.run({"run", "web.delete-user", "cyd"});
        }
        if (i == 170) {  // bob turns private
          c.sql("UPDATE users SET private_profile = 1 WHERE username = $1", {"bob"});
          int64_t id = c.sql("SELECT id FROM users WHERE username = $1", {"bob"}).at(0, 0).i;
          c.run({"run", "probe.publish", "user.changed",
                 R"({"user_id":)" + std::to_string(id) + R"(,"username":"bob","private":true})"});
        }
        std::vector<const Machine*> usable;
        for (const auto& m : c.machines)
          if (m.active && !deleted.count(m.user)) usable.push_back(&m);
        const Machine* m = usable[rng() % usable.size()];
        auto r = c.post(m->token, randomAge(rng), kOffsets[rng() % 7], randomXps(rng));
        INFO(r.body);
        REQUIRE(r.status == 201);
        if (i % 20 == 19) awaitCount(reads, (i + 1) / 20, "reads while writing");  // reads overlap writes
      }
      stop = true;
      for (auto& t : readers) t.join();
      INFO(firstBad);
      CHECK(badReads == 0);
      c.waitIdle();

      for (const char* u : {"ann", "bob", "dee"}) checkProfile(c, u);
      std::string out;
      CHECK(c.runRc({"run", "cache.profile", "cyd", "cyd"}, out) != 0);
      CHECK(c.runRc({"run", "cache.profile", "dee"}, out) != 0);  // private, no viewer
      CHECK(c.runRc({"run", "cache.profile", "bob"}, out) != 0);  // private since user.changed
      CHECK(c.h->get("/probe/profile/dee").status == 404);
      CHECK(c.h->get("/probe/profile/dee?viewer=dee").status == 200);

      // Everyone's total and the 4 h history against the pulses table.
      auto stats = json(c.run({"run", "ingest.stats"}));
      int64_t cappedSum = 0, from = (nowMs() - 4 * 3600 * 1000) / 60000;
      for (const char* u : {"ann", "bob", "dee"})
        for (const auto& [sentAt, capped] : recompute(c, u).capped)
          if (sentAt / 60000 >= from) cappedSum += capped;
      std::string fpOut = trim(c.run({"run", "cache.frontpage"}));
      auto fpj = json(fpOut);
      CHECK(fpj->getValue<int64_t>("total_xp") == stats->getValue<int64_t>("xps_sum"));
      auto hist = json(trim(c.run({"run", "cache.xp-history"})))->getArray("xp_history");
      int64_t histSum = 0;
      for (size_t i = 0; i < hist->size(); ++i)
        histSum += hist->getArray(static_cast<unsigned>(i))->getElement<int64_t>(1);
      CHECK(histSum == cappedSum);

      // A full rebuild from the pulses table changes nothing.
      c.run({"run", "cache.rebuild", "--all"});
      c.waitIdle();
      for (const char* u : {"ann", "bob", "dee"}) checkProfile(c, u);
      CHECK(json(c.run({"run", "cache.rebuild", "ann"}))->getValue<int64_t>("total_xp") == recompute(c, "ann").total);
      CHECK(c.runRc({"run", "cache.rebuild", "nobody"}, out) != 0);
    }
  }
}

TEST_CASE("cache: 20 reloads under steady reads and writes lose nothing and stay warm", "[cache][db][reload]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      CacheHost c(backend);
      const std::vector<std::string> users{"ann", "bob", "cyd"};
      for (const auto& u : users) {
        c.createUser(u);
        c.addMachine(u, u + "-laptop");
      }
      std::mt19937 rng(7);
      for (int i = 0; i < 30; ++i)
        REQUIRE(c.post(c.machines[rng() % 3].token, randomAge(rng), kOffsets[rng() % 7], randomXps(rng)).status == 201);
      c.waitIdle();
      for (const auto& u : users) c.run({"run", "cache.profile", u});  // every user warm

      std::atomic<bool> stop{false};
      std::atomic<long> reads{0}, failedReads{0}, writes{0}, failedWrites{0};
      std::vector<std::thread> threads;
      for (int r = 0; r < 3; ++r)
        threads.emplace_back([&, r] {
          size_t i = static_cast<size_t>(r);
          while (!stop) {
            auto reply = c.h->get("/probe/profile/" + users[i++ % users.size()]);
            ++reads;
            if (reply.status != 200) ++failedReads;
          }
        });
      threads.emplace_back([&] {
        std::mt19937 wrng(11);
        while (!stop) {
          auto r = c.post(c.machines[wrng() % 3].token, 5 + wrng() % 3000, kOffsets[wrng() % 7], randomXps(wrng));
          ++writes;
          if (r.status != 201) ++failedWrites;
        }
      });
      JoinOnExit joinThreads{stop, threads};
      // Between two reloads, at least 6 reads and 1 write complete: counted, not assumed from
      // the time between reloads.
      int reloads = 0;
      for (int i = 0; i < 20; ++i) {
        awaitCount(reads, reads + 6, "reads before the reload");
        awaitCount(writes, writes + 1, "writes before the reload");
        auto r = c.h->admin("POST", "/admin/modules/cache/reload", R"({"wait":true})");
        INFO(r.body);
        CHECK(r.status == 200);
        if (r.status == 200) ++reloads;
        // No cold period: the new generation starts with every user warm.
        CHECK(c.status()->getValue<int64_t>("users_warm") >= 3);
      }
      awaitCount(reads, reads + 6, "reads after the last reload");
      stop = true;
      for (auto& t : threads) t.join();
      INFO("reads " << reads << " writes " << writes);
      CHECK(reloads == 20);
      CHECK(failedReads == 0);
      CHECK(failedWrites == 0);
      CHECK(reads >= 20 * 6);
      c.waitIdle();
      for (const auto& u : users) checkProfile(c, u);
      auto stats = json(c.run({"run", "ingest.stats"}));
      CHECK(json(trim(c.run({"run", "cache.frontpage"})))->getValue<int64_t>("total_xp") ==
            stats->getValue<int64_t>("xps_sum"));
    }
  }
}

TEST_CASE("cache: the frontpage join reply comes from cache.v1, and from the DB when cache is unloaded",
          "[cache][channels]") {
  HostProcess h({"--set", "modules=web,ingest,cache,channels", "--set", "log.level=warn"});
  std::string out;
  REQUIRE(h.ctl({"run", "web.create-user", "ann"}, out) == 0);
  REQUIRE(h.ctl({"run", "web.create-machine", "ann", "box"}, out) == 0);
  std::string token = trim(out);
  for (int i = 0; i < 5; ++i) {
    auto r = h.request("POST", "/api/my/pulses",
                       R"({"coded_at":")" + codedAt(60 * i + 5, 0) + R"(","xps":[{"language":"C","xp":)" +
                           std::to_string(300 * (i + 1)) + "}]}",
                       {{"X-API-Token", token}, {"Content-Type", "application/json"}});
    REQUIRE(r.status == 201);
  }
  auto joinReplySum = [&] {
    WsClient ws(h.httpPort(), "/live_update_socket/websocket?vsn=2.0.0");
    REQUIRE(ws.open());
    ws.sendText(R"(["1","1","frontpage","phx_join",{}])");
    auto reply = Poco::JSON::Parser().parse(ws.next(10000).payload).extract<Poco::JSON::Array::Ptr>();
    auto hist = reply->getObject(4)->getObject("response")->getArray("xp_history");
    int64_t sum = 0;
    for (size_t i = 0; i < hist->size(); ++i) sum += hist->getArray(static_cast<unsigned>(i))->getElement<int64_t>(1);
    return sum;
  };
  int64_t expected = 300 + 400 * 4;  // rows capped at 400
  auto wait = Clock::now() + std::chrono::seconds(20);
  while (json(trim([&] {
           std::string o;
           h.ctl({"run", "cache.status"}, o);
           return o;
         }()))
             ->getValue<bool>("busy") &&
         Clock::now() < wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(joinReplySum() == expected);
  REQUIRE(h.ctl({"run", "cache.xp-history"}, out) == 0);
  CHECK_THAT(out, Catch::Contains(",300]"));
  REQUIRE(h.ctl({"unload", "cache"}, out) == 0);
  CHECK(joinReplySum() == expected);  // the DB fallback
}

TEST_CASE("cache: idle users are evicted and rebuilt on demand, exactly", "[cache][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      CacheHost c(backend);
      c.h.reset();  // restart with eviction after 1 s idle
      c.h = std::make_unique<HostProcess>(c.db.args +
                                          std::vector<std::string>{"--set", "modules=web,ingest,cache,probe", "--set",
                                                                   "modules.probe.artifact=" + fixture("cache_probe"),
                                                                   "--set", "modules.cache.refresh_interval_ms=200",
                                                                   "--set", "modules.cache.evict_idle_s=1"});
      c.createUser("ann");
      c.createUser("bob");
      c.addMachine("ann", "ann-laptop");
      c.addMachine("bob", "bob-laptop");
      std::mt19937 rng(3);
      for (int i = 0; i < 20; ++i)
        REQUIRE(
            c.post(c.machines[static_cast<size_t>(i % 2)].token, randomAge(rng), kOffsets[rng() % 7], randomXps(rng))
                .status == 201);
      c.waitIdle();
      c.run({"run", "cache.profile", "ann"});
      auto end = Clock::now() + std::chrono::seconds(20);
      while (c.status()->getValue<int64_t>("users_warm") > 0 && Clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      CHECK(c.status()->getValue<int64_t>("users_warm") == 0);
      // A pulse for an evicted user is not lost: the next read loads it from the DB.
      REQUIRE(c.post(c.machines[0].token, 30, 60, R"([{"language":"Zig","xp":77}])").status == 201);
      checkProfile(c, "ann");
      checkProfile(c, "bob");
      CHECK(c.status()->getValue<int64_t>("users_warm") >= 1);
    }
  }
}

// A user loaded while a language exists that the cache has not heard of (its pulse.created
// not handled yet; here: rows written behind the cache's back) is served with the
// language's name, never a placeholder. Regression: "language #N" in /api/users on PostgreSQL.
TEST_CASE("cache: a user loaded with a language the cache has not seen names it", "[cache][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      CacheHost c(backend);
      c.createUser("ann");
      c.addMachine("ann", "ann-laptop");
      REQUIRE(c.post(c.machines[0].token, 60, 0, R"([{"language":"Go","xp":10}])").status == 201);
      c.waitIdle();
      int64_t sentAt = nowMs() - 60000;
      std::time_t t = static_cast<std::time_t>(sentAt / 1000);
      std::tm tm{};
      gmtime_r(&t, &tm);
      int64_t day = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
      c.sql("INSERT INTO languages (name, name_lower, alias_of, inserted_at) VALUES ($1, $2, NULL, $3)",
            {"Brainfuck", "brainfuck", std::to_string(sentAt)});
      c.sql(
          "INSERT INTO pulses (user_id, machine_id, sent_at, sent_at_local, tz_offset, local_day, local_hour, "
          "inserted_at) SELECT u.id, m.id, CAST($1 AS BIGINT), CAST($1 AS BIGINT), 0, CAST($2 AS INTEGER), "
          "CAST($3 AS INTEGER), CAST($1 AS BIGINT) FROM users u JOIN machines m ON m.user_id = u.id "
          "WHERE u.username = $4",
          {std::to_string(sentAt), std::to_string(day), std::to_string(tm.tm_hour), "ann"});
      c.sql(
          "INSERT INTO xps (pulse_id, language_id, original_language_id, amount) SELECT (SELECT MAX(id) FROM "
          "pulses), l.id, l.id, 55 FROM languages l WHERE l.name_lower = $1",
          {"brainfuck"});
      c.run({"run", "cache.rebuild", "ann"});  // reloads ann from the pulses table
      std::string out = c.run({"run", "cache.profile", "ann", "ann"});
      INFO(out);
      CHECK(out.find("\"Brainfuck\"") != std::string::npos);
      CHECK(out.find("language #") == std::string::npos);
    }
  }
}
