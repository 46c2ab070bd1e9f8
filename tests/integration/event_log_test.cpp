// The durable event log (issue 16), on every DB backend.
//
// - The log itself: appends from several writers at once are read back by a cursor-keeping
//   reader without a gap (PostgreSQL hands out sequence numbers before commit; the log's
//   lock makes them commit in order), trimming keeps what a live cursor has not passed and
//   the newest event, and the age cap records what it removed unread.
// - A burst of 400 connections posting pulses with the cache's refresher off: afterwards
//   every user's /api/users total equals the database, nothing was dropped, and the log has
//   no flood of warnings (the in-memory bus dropped 204,897 events and logged 264,920 lines).
// - The bus's fast path: a host's own commits reach its consumers from memory (no read of the
//   database), every event once and in order, whatever order the commits report in; another
//   writer's commits in between, a report that never comes, a rollback and a consumer left
//   behind the window make the consumers read the database, and nothing is skipped.
// - kill -9 during a burst and a restart: the cache is exact although the events after the
//   last written cursor are delivered again.
#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <unistd.h>

#include "backends.hpp"
#include "db/host_statements.hpp"
#include "events/event_bus.hpp"
#include "events/event_log.hpp"
#include "events/pg_listener.hpp"
#include "ops_helpers.hpp"
#include "services/metrics.hpp"
#include "raw_http_connection.hpp"

using namespace codestats::test;
namespace db = codestats::host::db;
namespace ev = codestats::host::events;

namespace {

using Clock = std::chrono::steady_clock;

db::DbConfig logDbConfig(const BackendArgs& b, const TempDir& dir, int poolSize) {
  db::DbConfig c;
  c.poolSize = poolSize;
  if (b.schema) {
    c.backend = db::Backend::Postgres;
    c.postgresConninfo = b.schema->conninfo();
  } else {
    c.sqlitePath = dir.path() + "/log.db";
  }
  return c;
}

std::unique_ptr<db::Pool> openLogDb(const BackendArgs& b, const TempDir& dir, int poolSize) {
  auto pool = db::Pool::open(logDbConfig(b, dir, poolSize));
  ev::EventLog::createTables(*pool);
  return pool;
}

// One transaction with `n` events, the way the host writes a module's transaction.
void appendTx(db::Pool& pool, const std::string& topic, int n, std::chrono::milliseconds holdBeforeCommit = {}) {
  std::vector<ev::PendingEvent> events;
  for (int i = 0; i < n; ++i) events.push_back(ev::PendingEvent{topic, "test", "{\"i\":" + std::to_string(i) + "}"});
  auto conn = pool.acquireWriter();
  db::Transaction tx(*conn);
  ev::EventLog::append(*conn, pool.backend(), events, 1000);
  if (holdBeforeCommit.count()) std::this_thread::sleep_for(holdBeforeCommit);
  tx.commit();
}

// A host's event bus without the host: consumers whose deliveries are recorded per module,
// and transactions written the way the host writes a module's (host_api.cpp dbTransaction),
// reported when the test says.
struct BusUnderTest {
  codestats::host::Metrics metrics;
  std::mutex mu;
  std::map<std::string, std::vector<uint64_t>> delivered;  // module -> numbers, in delivery order
  std::function<void(const std::string&)> beforeDelivery = [](const std::string&) {};
  ev::EventBus bus;
  db::Pool& pool;

  BusUnderTest(db::Pool& p, const std::string& hostId, std::chrono::milliseconds poll)
      : bus(p, metrics, settings(hostId, poll),
            [this](const std::string& module, const ev::LoggedEvent& e) {
              beforeDelivery(module);
              std::lock_guard lock(mu);
              delivered[module].push_back(e.seq);
            }),
        pool(p) {
    bus.open();
  }
  ~BusUnderTest() { bus.close(); }
  static ev::EventBusSettings settings(const std::string& hostId, std::chrono::milliseconds poll) {
    ev::EventBusSettings s;
    s.hostId = hostId;
    s.pollInterval = poll;
    s.trimInterval = std::chrono::hours(1);
    return s;
  }
  void consume(const std::string& module) {
    bus.prepareConsumer(module);
    bus.startConsumer(module);
  }
  // Commits a transaction of `n` events; returns them numbered, not yet reported.
  std::vector<ev::LoggedEvent> commit(int n) {
    std::vector<ev::PendingEvent> events;
    for (int i = 0; i < n; ++i) events.push_back(ev::PendingEvent{"t", "test", "{\"i\":" + std::to_string(i) + "}"});
    std::vector<ev::LoggedEvent> appended;
    uint64_t durableAt = 0;
    {
      auto conn = pool.acquireWriter();
      conn->begin();
      durableAt = db::finishTransaction(*conn, [&] { appended = bus.appendInTransaction(*conn, std::move(events)); });
    }
    pool.syncThrough(durableAt);
    return appended;
  }
  void commitAndReport(int n) { bus.committed(commit(n)); }
  std::vector<uint64_t> of(const std::string& module) {
    std::lock_guard lock(mu);
    return delivered[module];
  }
  int64_t reads() const { return metrics.value("codestats_event_log_reads_total"); }
};

// The numbers of the events stored after `after` (a rollback on PostgreSQL leaves numbers unused).
std::vector<uint64_t> storedAfter(db::Pool& pool, uint64_t after) {
  std::vector<uint64_t> out;
  for (;;) {
    auto read = ev::EventLog::read(*pool.acquire(), after, 64);
    for (const auto& e : read.events) out.push_back(e.seq);
    if (!read.through) return out;
    after = read.through;
  }
}

int64_t count(db::Pool& pool, const std::string& sql) { return pool.acquire()->query(sql, nullptr, 0).at(0, 0).i; }

// The pulse sums per user in the database.
std::map<std::string, int64_t> dbTotals(db::Pool& pool) {
  auto rs = pool.acquire()->query(
      "SELECT u.username, COALESCE(SUM(x.amount), 0) FROM users u LEFT JOIN pulses p ON p.user_id = u.id "
      "LEFT JOIN xps x ON x.pulse_id = p.id GROUP BY u.username",
      nullptr, 0);
  std::map<std::string, int64_t> out;
  for (size_t r = 0; r < rs.rows(); ++r) out[rs.at(r, 0).s] = rs.at(r, 1).i;
  return out;
}

// /api/users/NAME total_xp (served from the cache).
int64_t apiTotal(const HostProcess& h, const std::string& user) {
  auto r = h.get("/api/users/" + user);
  if (r.status != 200) return -1;
  return parseObject(r.body)->getValue<int64_t>("total_xp");
}

int64_t metricSum(const HostProcess& h, const std::string& name) {
  auto r = h.admin("GET", "/metrics");
  int64_t sum = 0;
  size_t pos = 0;
  while ((pos = r.body.find("\n" + name, pos)) != std::string::npos) {
    size_t space = r.body.find(' ', pos + 1), end = r.body.find('\n', pos + 1);
    if (space != std::string::npos && space < end) sum += std::stoll(r.body.substr(space + 1, end - space - 1));
    pos = end;
  }
  return sum;
}

struct Users {
  std::vector<std::string> names, tokens;
};

Users createUsers(const HostProcess& h, int n) {
  Users u;
  for (int i = 0; i < n; ++i) {
    std::string name = "u" + std::to_string(i);
    run(h, {"run", "web.create-user", name});
    u.names.push_back(name);
    u.tokens.push_back(trim(run(h, {"run", "web.create-machine", name, "box"})));
  }
  return u;
}

// `connections` keep-alive clients post pulses until `stop`; returns the acknowledged pulses.
struct Burst {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acknowledged{0}, refused{0};
  std::vector<std::thread> threads;

  Burst(int port, const Users& users, int connections) {
    for (int c = 0; c < connections; ++c)
      threads.emplace_back([this, port, &users, c] {
        std::mt19937 rng(static_cast<unsigned>(c));
        std::unique_ptr<RawHttpConnection> conn;
        for (int seq = 0; !stop; ++seq) {
          size_t u = (static_cast<size_t>(c) + static_cast<size_t>(seq)) % users.tokens.size();
          std::string body = R"({"coded_at":")" + isoSecondsAgo(seq % 600) + R"(","xps":[{"language":"L)" +
                             std::to_string(rng() % 4) + R"(","xp":)" + std::to_string(1 + rng() % 50) + "}]}";
          try {
            if (!conn) conn = std::make_unique<RawHttpConnection>(port);
            conn->send("POST /api/my/pulses HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nX-API-Token: " +
                       users.tokens[u] + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
            auto r = conn->readResponse(30000);
            if (r.status == 201) ++acknowledged;
            else ++refused;
            if (r.header("connection") == "close") conn.reset();
          } catch (const std::exception&) {
            conn.reset();  // the host went away (kill -9) or closed the connection
            if (stop) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
      });
  }
  void finish() {
    stop = true;
    for (auto& t : threads) t.join();
    threads.clear();
  }
  ~Burst() { finish(); }
};

// Waits (up to two minutes: what is counted is the wait, not a speed) until every user's
// /api/users total equals the database; returns how long it took.
double secondsUntilExact(const HostProcess& h, db::Pool& pool, const Users& users, std::string& lastDiff) {
  auto start = Clock::now();
  auto expected = dbTotals(pool);
  while (Clock::now() - start < std::chrono::minutes(2)) {
    lastDiff.clear();
    for (const auto& u : users.names) {
      int64_t got = apiTotal(h, u);
      if (got != expected[u])
        lastDiff += u + ": api " + std::to_string(got) + ", db " + std::to_string(expected[u]) + "; ";
    }
    if (lastDiff.empty()) return std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

size_t countLines(const std::string& log, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = 0; (pos = log.find(needle, pos)) != std::string::npos; pos += needle.size()) ++n;
  return n;
}

}  // namespace

TEST_CASE("event log: concurrent appends are read back by a cursor without a gap", "[events][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir dir;
      BackendArgs b = backendArgs(backend);
      auto pool = openLogDb(b, dir, 8);
      // Four writers; every third transaction holds its sequence numbers a while before it
      // commits, so later numbers commit first unless the log serialises them.
      constexpr int kWriters = 4, kTxPerWriter = 60;
      std::atomic<int> done{0};
      std::vector<std::thread> writers;
      for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([&, w] {
          for (int t = 0; t < kTxPerWriter; ++t)
            appendTx(*pool, "w" + std::to_string(w), 1 + t % 3, std::chrono::milliseconds(t % 3 == 0 ? 5 : 0));
          ++done;
        });
      // A reader that moves its cursor past everything it read, as a consumer does.
      std::set<uint64_t> seen;
      uint64_t cursor = 0;
      bool ordered = true;
      for (;;) {
        bool finished = done == kWriters;
        auto batch = ev::EventLog::read(*pool->acquire(), cursor, 7).events;
        for (const auto& e : batch) {
          ordered = ordered && e.seq > cursor;
          seen.insert(e.seq);
          cursor = e.seq;
        }
        if (finished && batch.empty()) break;
      }
      for (auto& t : writers) t.join();
      CHECK(ordered);
      int64_t stored = count(*pool, "SELECT SUM(events) FROM codestats_events");
      CHECK(stored == kWriters * (kTxPerWriter / 3) * (1 + 2 + 3));
      // Every stored event was read: none was passed while its lower number was uncommitted.
      CHECK(static_cast<int64_t>(seen.size()) == stored);
      CHECK(ev::EventLog::head(*pool->acquire()) == cursor);
    }
  }
}

TEST_CASE("event log: trimming keeps what live cursors need and the newest event", "[events][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir dir;
      BackendArgs b = backendArgs(backend);
      auto pool = openLogDb(b, dir, 2);
      for (int i = 0; i < 10; ++i) appendTx(*pool, "a", 1);  // ten rows, created_at 1000 (appendTx)
      const uint64_t head = ev::EventLog::head(*pool->acquire());
      // A consumer opened now starts at the head; another was left behind at head - 6.
      CHECK(ev::EventLog::openCursor(*pool, "h/new", 5000) == head);
      ev::EventLog::saveCursor(*pool, "h/slow", head - 6, 5000);
      auto r = ev::EventLog::trim(*pool, 5000, 100000);  // nothing is older than the cap
      CHECK(r.removed == 4);
      CHECK(r.lostThrough == 0);
      CHECK(ev::EventLog::read(*pool->acquire(), 0, 100).events.front().seq == head - 5);
      // The slow cursor stops being live (not written within the cap): everything but the
      // newest goes, and the events it had not read are recorded as lost.
      r = ev::EventLog::trim(*pool, 200000, 100000);
      CHECK(r.removed == 5);
      CHECK(r.lostThrough == head - 1);
      auto left = ev::EventLog::read(*pool->acquire(), 0, 100);
      CHECK(left.trimmedThrough == head - 1);
      REQUIRE(left.events.size() == 1);
      CHECK(left.events[0].seq == head);
      // Numbers are never reused after a trim (SQLite: AUTOINCREMENT).
      appendTx(*pool, "b", 1);
      CHECK(ev::EventLog::head(*pool->acquire()) == head + 1);
    }
  }
}

TEST_CASE("event log: a transaction's events share one row and keep one number each", "[events][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir dir;
      BackendArgs b = backendArgs(backend);
      auto pool = openLogDb(b, dir, 2);
      appendTx(*pool, "first", 1);
      const uint64_t start = ev::EventLog::head(*pool->acquire());
      std::vector<ev::PendingEvent> mixed = {
          {"pulse.created", "ingest", "{\"i\":0}"},
          {"xp.deleted", "ingest", "{\"i\":1}"},
          {"pulse.created", "ingest", "{\"i\":2}"},
          {"user.changed", "web", "{\"i\":3}"},  // another producer: a row of its own
      };
      {
        auto conn = pool->acquireWriter();
        db::Transaction tx(*conn);
        ev::EventLog::append(*conn, pool->backend(), mixed, 1000);
        tx.commit();
      }
      CHECK(count(*pool, "SELECT COUNT(*) FROM codestats_events") == 3);
      CHECK(ev::EventLog::head(*pool->acquire()) == start + 4);
      auto all = ev::EventLog::read(*pool->acquire(), start, 100).events;
      REQUIRE(all.size() == 4);
      for (size_t i = 0; i < 4; ++i) {
        CHECK(all[i].seq == start + 1 + i);
        CHECK(all[i].topic == mixed[i].topic);
        CHECK(all[i].payload == mixed[i].payload);
      }
      // A cursor inside a row gets only the rest of it.
      auto rest = ev::EventLog::read(*pool->acquire(), start + 2, 100).events;
      REQUIRE(rest.size() == 2);
      CHECK(rest[0].seq == start + 3);
      CHECK(rest[0].payload == "{\"i\":2}");
      // A big transaction is cut into rows of at most kFrameEvents.
      appendTx(*pool, "big", 300);
      CHECK(count(*pool, "SELECT COUNT(*) FROM codestats_events WHERE topic = 'big'") == 2);
      auto big = ev::EventLog::read(*pool->acquire(), start + 4, 100);
      REQUIRE(big.events.size() == 300);
      CHECK(big.events.back().seq == start + 304);
      CHECK(big.events.back().payload == "{\"i\":299}");
      CHECK_FALSE(big.full);
      // A row that does not hold its events is left out and counted; the rows after it are read.
      const std::string bad = std::to_string(start + 307);  // "holds" 305-307
      if (b.schema) pool->acquire()->query("SELECT setval('codestats_events_seq_seq', " + bad + ")", nullptr, 0);
      pool->acquire()->query(
          "INSERT INTO codestats_events (seq, events, topic, producer, payload, created_at) VALUES (" + bad +
              ", 3, 'bad', 'test', 'not framed', 1000)",
          nullptr, 0);
      appendTx(*pool, "after", 1);
      auto past = ev::EventLog::read(*pool->acquire(), start + 304, 100);
      CHECK(past.undecodable == 1);
      REQUIRE(past.events.size() == 1);
      CHECK(past.events[0].topic == "after");
      CHECK(past.events[0].seq == start + 308);
      // A read of the bad row alone gives nothing to deliver, and says how far it read.
      auto badOnly = ev::EventLog::read(*pool->acquire(), start + 304, 1);
      CHECK(badOnly.events.empty());
      CHECK(badOnly.through == start + 307);
      // The row limit: two rows asked, more there.
      CHECK(ev::EventLog::read(*pool->acquire(), start, 2).full);
    }
  }
}

TEST_CASE("event log: a table from before rows held several events gains the column", "[events][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir dir;
      BackendArgs b = backendArgs(backend);
      {
        auto old = db::Pool::open(logDbConfig(b, dir, 2));
        auto conn = old->acquireWriter();
        conn->execScript(b.schema
                             ? "CREATE TABLE codestats_events (seq BIGSERIAL PRIMARY KEY, topic TEXT NOT NULL, "
                               "producer TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)"
                             : "CREATE TABLE codestats_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT "
                               "NOT NULL, producer TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)");
        conn->execScript(
            "INSERT INTO codestats_events (topic, producer, payload, created_at) VALUES ('old', 'test', '{}', 1000)");
      }
      auto pool = openLogDb(b, dir, 2);
      appendTx(*pool, "new", 2);
      auto all = ev::EventLog::read(*pool->acquire(), 0, 100).events;
      REQUIRE(all.size() == 3);
      CHECK(all[0].seq == 1);
      CHECK(all[0].topic == "old");
      CHECK(all[2].seq == 3);
      CHECK(all[2].topic == "new");
    }
  }
}

TEST_CASE("event log: a 400-connection burst leaves the cache exact without its refresher", "[events][db][burst]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir var;
      BackendArgs db = backendArgs(backend);
      HostProcess h(var.path(), db.args + std::vector<std::string>{"--set", "modules=web,ingest,cache", "--set",
                                                                   "modules.cache.refresh_interval_ms=86400000"});
      Users users = createUsers(h, 20);
      for (const auto& u : users.names) REQUIRE(apiTotal(h, u) == 0);  // warm before the burst
      {
        Burst burst(h.httpPort(), users, 400);
        std::this_thread::sleep_for(std::chrono::seconds(12));
        burst.finish();
        INFO("acknowledged " << burst.acknowledged << ", refused " << burst.refused);
        REQUIRE(burst.acknowledged > 0);
      }
      auto pool = openTestDb(db, var.path() + "/codestats.db");
      std::string diff;
      double seconds = secondsUntilExact(h, *pool, users, diff);
      INFO(diff);
      REQUIRE(seconds >= 0);
      WARN(backend << ": the cache was exact " << seconds << " s after the last answer");
      CHECK(metricSum(h, "codestats_event_drops_total") == 0);  // gone with the in-memory bus
      CHECK(metricSum(h, "codestats_events_lost_total") == 0);
      CHECK(metricSum(h, "codestats_event_failures_total") == 0);
      CHECK(metricSum(h, "codestats_events_delivered_total{module=\"cache\"}") >=
            count(*pool, "SELECT COUNT(*) FROM pulses"));
      // No flood: a warning is rate limited (the in-memory bus wrote one per dropped event).
      CHECK(countLines(h.log(), " warn") < 50);
    }
  }
}

TEST_CASE("event log: kill -9 during a burst, then a restart: the cache catches up to exact", "[events][db][crash]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir var;
      BackendArgs db = backendArgs(backend);
      const std::vector<std::string> args =
          db.args + std::vector<std::string>{"--set", "modules=web,ingest,cache",
                                             "--set", "modules.cache.refresh_interval_ms=86400000",
                                             "--set", "crash_guard.window_ms=0"};
      Users users;
      {
        HostProcess h(var.path(), args);
        users = createUsers(h, 8);
        Burst burst(h.httpPort(), users, 64);
        REQUIRE(eventually([&] { return burst.acknowledged >= 500; }, 120000));
        h.kill();
        burst.finish();
      }
      auto pool = openTestDb(db, var.path() + "/codestats.db");
      // The cache's cursor as last written before the kill (at most a second old).
      const int64_t behind = count(*pool, "SELECT COALESCE(MAX(seq), 0) FROM codestats_events") -
                             count(*pool, "SELECT seq FROM codestats_event_cursors WHERE consumer LIKE '%/cache'");
      INFO(behind << " events after the cache's written cursor");
      HostProcess h(var.path(), args);
      std::string diff;
      double seconds = secondsUntilExact(h, *pool, users, diff);
      INFO(diff);
      REQUIRE(seconds >= 0);
      // The restarted consumer went on from its last written cursor: the events after it were
      // delivered again, and the cache did not count them twice (the totals above).
      CHECK(eventually([&] { return metricSum(h, "codestats_events_delivered_total{module=\"cache\"}") >= behind; }));
      CHECK(metricSum(h, "codestats_event_failures_total") == 0);
    }
  }
}

TEST_CASE("event log: a second host on one PostgreSQL sees every pulse, also after its listener was cut",
          "[events][db][multihost]") {
  for (const auto& backend : testBackends()) {
    if (backend != "postgres") continue;  // several hosts share a database only on PostgreSQL
    DYNAMIC_SECTION(backend) {
      BackendArgs db = backendArgs(backend);
      const std::vector<std::string> args =
          db.args + std::vector<std::string>{"--set", "modules=web,ingest,cache",
                                             "--set", "modules.cache.refresh_interval_ms=86400000",
                                             "--set", "secret_key_base=" + std::string(64, 's')};
      HostProcess a(args), b(args);
      Users users = createUsers(a, 3);
      auto pool = openTestDb(db, "");
      auto post = [&](int n) {
        for (int i = 0; i < n; ++i) {
          auto r = a.request("POST", "/api/my/pulses",
                             R"({"coded_at":")" + isoSecondsAgo(i) + R"(","xps":[{"language":"C","xp":)" +
                                 std::to_string(i + 1) + "}]}",
                             {{"X-API-Token", users.tokens[static_cast<size_t>(i) % users.tokens.size()]},
                              {"Content-Type", "application/json"}});
          REQUIRE(r.status == 201);
        }
      };
      post(30);
      std::string diff;
      REQUIRE(secondsUntilExact(b, *pool, users, diff) >= 0);
      // Cut b's listening session (named after its host id, which ends with its var dir): b
      // reconnects, and reads what it missed from the log.
      const std::string tail = b.varDir().substr(b.varDir().size() > 20 ? b.varDir().size() - 20 : 0);
      auto cut = runSql(*pool,
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE "
                        "'codestatsd events %' AND application_name LIKE $1",
                        {"%" + tail});
      CHECK(cut.rows() == 1);
      post(30);
      REQUIRE(secondsUntilExact(b, *pool, users, diff) >= 0);
      CHECK(eventually([&] { return b.log().find("listening again after a reconnect") != std::string::npos; }));
    }
  }
}

TEST_CASE("event log: a host sends NOTIFY only while another host of its log listens", "[events][db][multihost]") {
  for (const auto& backend : testBackends()) {
    if (backend != "postgres") continue;  // LISTEN/NOTIFY
    DYNAMIC_SECTION(backend) {
      BackendArgs db = backendArgs(backend);
      const std::string hostId = "notify-test-" + std::to_string(::getpid());
      std::vector<std::string> args = db.args;
      for (const std::string& a :
           std::vector<std::string>{"modules=web,ingest,cache", "modules.cache.refresh_interval_ms=86400000",
                                    "secret_key_base=" + std::string(64, 's'), "events.host_id=" + hostId})
        args.insert(args.end(), {"--set", a});
      HostProcess a(args);
      Users users = createUsers(a, 2);
      auto pool = openTestDb(db, "");
      // Alone (its own listener is no peer; hosts of other tests' schemas belong to other logs).
      REQUIRE(eventually([&] {
        return a.admin("GET", "/metrics").body.find("\ncodestats_event_notify_peers 0") != std::string::npos;
      }));
      const int64_t notifiesBefore = metricSum(a, "codestats_event_notifies_total");
      auto post = [&](int n) {
        for (int i = 0; i < n; ++i) {
          auto r = a.request("POST", "/api/my/pulses",
                             R"({"coded_at":")" + isoSecondsAgo(i) + R"(","xps":[{"language":"C","xp":3}]})",
                             {{"X-API-Token", users.tokens[static_cast<size_t>(i) % users.tokens.size()]},
                              {"Content-Type", "application/json"}});
          REQUIRE(r.status == 201);
        }
      };
      post(10);
      std::string diff;
      REQUIRE(secondsUntilExact(a, *pool, users, diff) >= 0);  // woken by its own commits
      CHECK(metricSum(a, "codestats_event_notifies_total") == notifiesBefore);
      // A peer of the same log: its listening session is named like a host's.
      auto own = runSql(*pool, "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE $1",
                        {"codestatsd events %" + hostId});
      REQUIRE(own.rows() == 1);
      const std::string prefix = own.at(0, 0).s.substr(0, std::string("codestatsd events 01234567 ").size());
      std::atomic<int> wakes{0};
      {
        ev::PgListener peer(db.schema->conninfo(), prefix + "00000000 peer", ev::EventLog::kChannel, "",
                            [&] { ++wakes; });
        REQUIRE(eventually([&] { return wakes > 0; }));  // listening (it wakes once on connecting)
        REQUIRE(eventually([&] { return metricSum(a, "codestats_event_notify_peers") == 1; }));
        const int wakesBefore = wakes;
        post(1);
        CHECK(eventually([&] { return wakes > wakesBefore; }));
        CHECK(metricSum(a, "codestats_event_notifies_total") > notifiesBefore);
      }
    }
  }
}

TEST_CASE("event log: readers pass a row that does not hold its events, once warned", "[events][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      BackendArgs db = backendArgs(backend);
      TempDir var;
      std::vector<std::string> args = db.args;
      for (const std::string& a :
           std::vector<std::string>{"modules=web,ingest,cache", "modules.cache.refresh_interval_ms=86400000",
                                    "secret_key_base=" + std::string(64, 's')})
        args.insert(args.end(), {"--set", a});
      HostProcess h(var.path(), args);
      Users users = createUsers(h, 2);
      auto pool = openTestDb(db, var.path() + "/codestats.db");
      // A row claiming three events it does not hold, numbered like an append would.
      const std::string seq = std::to_string(
          runSql(*pool, db.schema ? "SELECT setval('codestats_events_seq_seq', nextval('codestats_events_seq_seq') + 2)"
                                  : "SELECT COALESCE(MAX(seq), 0) + 3 FROM codestats_events")
              .at(0, 0)
              .i);
      runSql(*pool, "INSERT INTO codestats_events (seq, events, topic, producer, payload, created_at) VALUES (" + seq +
                        ", 3, 'pulse.created', 'test', 'not framed', 0)");
      // The cache's reader passes it although it gave nothing to deliver (at its next poll; the
      // cursor is written within a second).
      CHECK(eventually([&] {
        return runSql(*pool,
                      "SELECT COUNT(*) FROM codestats_event_cursors WHERE consumer LIKE '%/cache' AND seq >= " + seq)
                   .at(0, 0)
                   .i == 1;
      }));
      for (int i = 0; i < 6; ++i) {
        auto r = h.request("POST", "/api/my/pulses",
                           R"({"coded_at":")" + isoSecondsAgo(i) + R"(","xps":[{"language":"C","xp":5}]})",
                           {{"X-API-Token", users.tokens[static_cast<size_t>(i) % users.tokens.size()]},
                            {"Content-Type", "application/json"}});
        REQUIRE(r.status == 201);
      }
      std::string diff;
      INFO(diff);
      REQUIRE(secondsUntilExact(h, *pool, users, diff) >= 0);  // the pulses after the bad row arrived
      CHECK(eventually([&] { return metricSum(h, "codestats_events_delivered_total{module=\"cache\"}") >= 6; }));
      // Warned, but not at every wake-up: the cursor moved past the row.
      CHECK(countLines(h.log(), "do not hold their events") == 1);
    }
  }
}

TEST_CASE(
    "event bus: a host's own commits reach its consumers from memory, once each and in order, reported in any order",
    "[events][db][fastpath]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir dir;
      BackendArgs b = backendArgs(backend);
      auto pool = openLogDb(b, dir, 8);
      appendTx(*pool, "before", 3);  // the consumers start at the head, after these
      const uint64_t start = ev::EventLog::head(*pool->acquire());
      BusUnderTest t(*pool, "h1", std::chrono::minutes(1));  // no poll during the test
      t.consume("a");
      t.consume("b");
      // Both consumers at the head: one read of the database between them tells the window where it starts.
      REQUIRE(eventually([&] { return t.reads() == 1; }));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const int64_t readsBefore = t.reads();
      // Four writers; each reports its commit after a random pause, so later commits often
      // report before earlier ones.
      constexpr int kWriters = 4, kTxPerWriter = 40;
      std::vector<std::thread> writers;
      for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([&, w] {
          std::mt19937 rng(static_cast<unsigned>(w));
          for (int i = 0; i < kTxPerWriter; ++i) {
            auto appended = t.commit(1 + static_cast<int>(rng() % 20));
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
            t.bus.committed(std::move(appended));
          }
        });
      for (auto& w : writers) w.join();
      const uint64_t head = ev::EventLog::head(*pool->acquire());
      REQUIRE(head > start + kWriters * kTxPerWriter);
      const auto expected = storedAfter(*pool, start);
      REQUIRE(expected.size() == head - start);  // no number left unused
      REQUIRE(eventually([&] { return t.of("a").size() >= expected.size() && t.of("b").size() >= expected.size(); }));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // nothing more comes
      CHECK(t.of("a") == expected);
      CHECK(t.of("b") == expected);
      // All of it from memory: not one read of the database since the start.
      CHECK(t.reads() == readsBefore);
    }
  }
}

TEST_CASE("event bus: another writer's commits in between are read from the database, none skipped",
          "[events][db][fastpath]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir dir;
      BackendArgs b = backendArgs(backend);
      // Two buses on one database, as two hosts on PostgreSQL or two processes on one SQLite
      // file during an upgrade. No NOTIFY and no poll here: a bus learns of the other's commits
      // only from the hole they leave before its own next commit.
      auto poolA = openLogDb(b, dir, 4);
      auto poolB = openLogDb(b, dir, 4);
      const uint64_t start = ev::EventLog::head(*poolA->acquire());
      BusUnderTest a(*poolA, "hA", std::chrono::minutes(1));
      BusUnderTest other(*poolB, "hB", std::chrono::minutes(1));
      a.consume("m");
      other.consume("m");
      REQUIRE(eventually([&] { return a.reads() == 1 && other.reads() == 1; }));
      std::mt19937 rng(7);
      int fromOther = 0;
      for (int i = 0; i < 120; ++i) {
        const bool mine = rng() % 3 != 0;
        (mine ? a : other).commitAndReport(1 + static_cast<int>(rng() % 10));
        fromOther += mine ? 0 : 1;
      }
      REQUIRE(fromOther > 10);
      a.commitAndReport(1);  // the last commit is a's: its consumer has everything without a poll
      auto expected = storedAfter(*poolA, start);
      REQUIRE(eventually([&] { return a.of("m").size() >= expected.size(); }));
      CHECK(a.of("m") == expected);
      CHECK(a.reads() > 1);      // the holes were read
      other.commitAndReport(1);  // now the other's
      expected = storedAfter(*poolA, start);
      REQUIRE(eventually([&] { return other.of("m").size() >= expected.size(); }));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // nothing more comes
      CHECK(other.of("m") == expected);
    }
  }
}

TEST_CASE("event bus: a commit that never reports is read by the poll, with the commits behind it",
          "[events][db][fastpath]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir dir;
      BackendArgs b = backendArgs(backend);
      auto pool = openLogDb(b, dir, 4);
      const uint64_t start = ev::EventLog::head(*pool->acquire());
      BusUnderTest t(*pool, "h1", std::chrono::milliseconds(300));
      t.consume("m");
      REQUIRE(eventually([&] { return t.reads() >= 1; }));
      auto complete = [&] {
        const auto expected = storedAfter(*pool, start);
        return eventually([&] { return t.of("m") == expected; });
      };
      t.commitAndReport(3);
      // A commit whose report never comes (its thread died between commit and report): the
      // ones after it wait behind it, and the poll's read brings both.
      auto unreported = t.commit(4);
      t.commitAndReport(2);
      CHECK(complete());
    }
  }
}

TEST_CASE("event bus: a rolled back append leaves no consumer waiting", "[events][db][fastpath]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir dir;
      BackendArgs b = backendArgs(backend);
      auto pool = openLogDb(b, dir, 4);
      const uint64_t start = ev::EventLog::head(*pool->acquire());
      BusUnderTest t(*pool, "h1", std::chrono::minutes(1));  // no poll: only the bus's own signals
      t.consume("m");
      REQUIRE(eventually([&] { return t.reads() == 1; }));
      t.commitAndReport(2);
      // A transaction draws numbers and rolls back; the next one commits and reports before
      // the first is known as abandoned (its thread was slower). PostgreSQL's sequence skips
      // the numbers, so the next commit waits behind a hole that looked like this host's own;
      // SQLite gives the numbers again.
      std::vector<ev::LoggedEvent> rolledBack;
      {
        auto conn = pool->acquireWriter();
        conn->begin();
        rolledBack = t.bus.appendInTransaction(*conn, {ev::PendingEvent{"t", "test", "{}"}});
        conn->rollback();
      }
      t.commitAndReport(5);
      t.bus.abandoned(rolledBack);
      const auto expected = storedAfter(*pool, start);
      REQUIRE(expected.size() == 7);
      CHECK(eventually([&] { return t.of("m") == expected; }));
      if (b.schema)  // the number the rollback drew stays unused
        CHECK(ev::EventLog::head(*pool->acquire()) - start == 8);
    }
  }
}

TEST_CASE("event bus: a consumer left behind the window reads the database, the others stay in memory",
          "[events][db][fastpath]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir dir;
      BackendArgs b = backendArgs(backend);
      auto pool = openLogDb(b, dir, 4);
      const uint64_t start = ev::EventLog::head(*pool->acquire());
      BusUnderTest t(*pool, "h1", std::chrono::minutes(1));  // no poll during the test
      std::atomic<bool> hold{true}, held{false};
      t.beforeDelivery = [&](const std::string& module) {
        while (module == "slow" && hold) {
          held = true;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      };
      t.consume("fast");
      t.consume("slow");
      REQUIRE(eventually([&] { return t.reads() == 1; }));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      t.commitAndReport(1);  // the slow consumer takes it and is held there
      REQUIRE(eventually([&] { return held.load(); }));
      const int64_t readsBefore = t.reads();
      for (int i = 0; i < 90; ++i) t.commitAndReport(250);  // 22,500 events: more than the window keeps
      const auto expected = storedAfter(*pool, start);
      REQUIRE(eventually([&] { return t.of("fast").size() >= expected.size(); }));
      CHECK(t.of("fast") == expected);
      CHECK(t.reads() == readsBefore);  // the fast one read it all from memory
      hold = false;
      CHECK(eventually([&] { return t.of("slow").size() >= expected.size(); }, 60000));
      CHECK(t.of("slow") == expected);
      CHECK(t.reads() > readsBefore);  // what the window no longer held came from the database
    }
  }
}
