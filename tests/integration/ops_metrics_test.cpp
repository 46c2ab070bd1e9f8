// Module gauges and histograms on /metrics (issue 9 item 1, ABI 1.2) against a real host:
// the ABI calls through a fixture (names, kinds, buckets, errors, series that survive a
// reload), the ingest group-commit batch-size histogram and the cache size gauges, on
// both database backends. The mail queue gauge is tested beside the mail module
// (modules/mail/tests/mail_host_test.cpp), which has the stand-in Mailgun server.
#include <catch2/catch.hpp>

#include <codestats/module_abi.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <sstream>
#include <thread>

#include "backends.hpp"
#include "ops_helpers.hpp"

using namespace codestats::test;
using Catch::Matchers::Contains;

namespace {

std::string metrics(const HostProcess& h) {
  auto r = h.admin("GET", "/metrics");
  REQUIRE(r.status == 200);
  return r.body;
}

// The value of one sample, `series` written exactly as rendered (name{labels}).
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
  return std::nullopt;
}

double value(const HostProcess& h, const std::string& series) {
  std::string text = metrics(h);
  auto v = sample(text, series);
  INFO(series << " in\n" << text);
  REQUIRE(v.has_value());
  return *v;
}

HttpReply postPulse(const HostProcess& h, const std::string& token, int ago, int xp) {
  return h.request(
      "POST", "/api/my/pulses",
      R"({"coded_at":")" + isoSecondsAgo(ago) + R"(","xps":[{"language":"C++","xp":)" + std::to_string(xp) + "}]}",
      {{"X-API-Token", token}, {"Content-Type", "application/json"}});
}

// Posts `total` pulses from `clients` concurrent connections; returns how many got a 201.
int postConcurrently(const HostProcess& h, const std::string& token, int clients, int total) {
  std::atomic<int> next{0}, created{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      for (int i = next++; i < total; i = next++)
        if (httpRequest(h.httpPort(), "POST", "/api/my/pulses",
                        R"({"coded_at":")" + isoSecondsAgo(60 + i) + R"(","xps":[{"language":"C++","xp":1}]})",
                        {{"X-API-Token", token}, {"Content-Type", "application/json"}})
                .status == 201)
          ++created;
    });
  for (auto& t : threads) t.join();
  return created;
}

const std::string kHello = R"({module="hello"})";

}  // namespace

TEST_CASE("metrics: module gauges and histograms through ABI 1.2, kept across a reload", "[ops][metrics][abi]") {
  HostProcess h({"--set", "modules=hello", "--set", "modules.hello.artifact=" + fixture("hello_ops")});
  auto call = [&](const std::string& kind, const std::string& name, const std::string& v) {
    auto r = h.get("/hello/metric/" + kind + "/" + name + "/" + v);
    REQUIRE(r.status == 200);
    return std::stoi(r.body);
  };
  REQUIRE(call("gauge", "depth", "3") == CS_OK);
  REQUIRE(call("gauge", "depth", "5") == CS_OK);  // a gauge shows the last value
  for (const char* v : {"1", "3", "1000", "5000"}) REQUIRE(call("histogram", "sizes", v) == CS_OK);
  REQUIRE(call("histogram", "wait_seconds", "0.003") == CS_OK);

  std::string m = metrics(h);
  INFO(m);
  CHECK_THAT(m, Contains("# TYPE codestats_hello_depth gauge\ncodestats_hello_depth{module=\"hello\"} 5\n"));
  CHECK_THAT(m, Contains("# TYPE codestats_hello_sizes histogram\n"));
  // powers of two 1..1024, cumulative, then +Inf
  std::string b = R"(codestats_hello_sizes_bucket{module="hello",le=")";
  CHECK(sample(m, b + "1\"}") == 1);
  CHECK(sample(m, b + "2\"}") == 1);
  CHECK(sample(m, b + "4\"}") == 2);
  CHECK(sample(m, b + "512\"}") == 2);
  CHECK(sample(m, b + "1024\"}") == 3);
  CHECK(sample(m, b + "+Inf\"}") == 4);
  CHECK_FALSE(sample(m, b + "2048\"}").has_value());
  CHECK(sample(m, "codestats_hello_sizes_sum" + kHello) == 6004);
  CHECK(sample(m, "codestats_hello_sizes_count" + kHello) == 4);
  // a name ending in _seconds gets the latency buckets
  std::string w = R"(codestats_hello_wait_seconds_bucket{module="hello",le=")";
  CHECK(sample(m, w + "0.0025\"}") == 0);
  CHECK(sample(m, w + "0.005\"}") == 1);
  CHECK(sample(m, w + "2.5\"}") == 1);

  // Bad names and values are refused, and nothing is created for them.
  CHECK(call("gauge", "bad-name", "1") == CS_E_INVALID);
  CHECK(call("gauge", "9lives", "1") == CS_E_INVALID);
  CHECK(call("gauge", std::string(65, 'x'), "1") == CS_E_INVALID);
  CHECK(call("gauge", "things_total", "1") == CS_E_INVALID);
  CHECK(call("histogram", "h_count", "1") == CS_E_INVALID);
  CHECK(call("gauge", "depth", "nan") == CS_E_INVALID);
  CHECK(call("histogram", "sizes", "inf") == CS_E_INVALID);
  // A name keeps the kind it was first used as.
  CHECK(call("histogram", "depth", "1") == CS_E_CONFLICT);
  CHECK(call("gauge", "sizes", "1") == CS_E_CONFLICT);
  m = metrics(h);
  CHECK(sample(m, "codestats_module_metric_errors_total" + kHello) == 9);  // counted, for the operator
  CHECK_FALSE(contains(m, "bad"));
  CHECK_FALSE(contains(m, "things_total"));
  CHECK(sample(m, "codestats_hello_depth" + kHello) == 5);
  CHECK(sample(m, "codestats_hello_sizes_count" + kHello) == 4);

  // The series are the host's: a reload keeps them and the new generation adds to them.
  REQUIRE(h.admin("POST", "/admin/modules/hello/reload", R"({"wait":true})").status == 200);
  REQUIRE(loadedVersion(h, "hello") == "6.6.6-ops");
  m = metrics(h);
  CHECK(sample(m, "codestats_hello_depth" + kHello) == 5);
  CHECK(sample(m, "codestats_hello_sizes_count" + kHello) == 4);
  REQUIRE(call("histogram", "sizes", "2") == CS_OK);
  REQUIRE(call("gauge", "depth", "0") == CS_OK);
  m = metrics(h);
  CHECK(sample(m, "codestats_hello_sizes_count" + kHello) == 5);
  CHECK(sample(m, "codestats_hello_sizes_sum" + kHello) == 6006);
  CHECK(sample(m, "codestats_hello_depth" + kHello) == 0);
  // one TYPE line per family, also after the reload
  size_t first = m.find("# TYPE codestats_hello_sizes histogram");
  CHECK(m.find("# TYPE codestats_hello_sizes histogram", first + 1) == std::string::npos);
}

TEST_CASE("metrics: ingest observes the size of every group commit", "[ops][metrics][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      BackendArgs db = backendArgs(backend);
      HostProcess h(db.args + std::vector<std::string>{"--set", "modules=web,ingest", "--set", "log.level=warn"});
      run(h, {"run", "web.create-user", "alice"});
      std::string token = trim(run(h, {"run", "web.create-machine", "alice", "laptop"}));

      constexpr int kPulses = 120;
      REQUIRE(postConcurrently(h, token, 8, kPulses) == kPulses);
      std::string m = metrics(h);
      INFO(m);
      CHECK_THAT(m, Contains("# TYPE codestats_ingest_batch_size histogram\n"));
      const std::string labels = R"({module="ingest"})";
      auto batches = sample(m, R"(codestats_module_counter_total{module="ingest",counter="batches"})");
      REQUIRE(batches.has_value());
      CHECK(sample(m, "codestats_ingest_batch_size_count" + labels) == *batches);
      CHECK(sample(m, "codestats_ingest_batch_size_sum" + labels) == kPulses);
      CHECK(sample(m, R"(codestats_ingest_batch_size_bucket{module="ingest",le="+Inf"})") == *batches);
      // every batch holds 1..batch_max (256) pulses: none is empty, none above 256
      CHECK(sample(m, R"(codestats_ingest_batch_size_bucket{module="ingest",le="256"})") == *batches);
      CHECK(*batches >= 1);
      CHECK(*batches <= kPulses);

      // A reload keeps the series; the new generation's batches add to it.
      REQUIRE(h.admin("POST", "/admin/modules/ingest/reload", R"({"wait":true})").status == 200);
      for (int i = 0; i < 3; ++i) REQUIRE(postPulse(h, token, 30 + i, 2).status == 201);
      m = metrics(h);
      CHECK(sample(m, "codestats_ingest_batch_size_sum" + labels) == kPulses + 3);
      auto batchesAfter = sample(m, R"(codestats_module_counter_total{module="ingest",counter="batches"})");
      REQUIRE(batchesAfter.has_value());
      CHECK(sample(m, "codestats_ingest_batch_size_count" + labels) == *batchesAfter);
      CHECK(*batchesAfter == *batches + 3);  // sequential pulses: one batch each
    }
  }
}

TEST_CASE("metrics: SQLite counts its WAL syncs and background checkpoints; PostgreSQL has none",
          "[ops][metrics][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      BackendArgs db = backendArgs(backend);
      HostProcess h(db.args + std::vector<std::string>{"--set", "modules=web,ingest", "--set", "log.level=warn",
                                                       "--set", "db.sqlite.checkpoint_frames=100"});
      run(h, {"run", "web.create-user", "alice"});
      std::string token = trim(run(h, {"run", "web.create-machine", "alice", "laptop"}));
      if (backend == "postgres") {
        REQUIRE(postPulse(h, token, 30, 2).status == 201);
        CHECK_THAT(metrics(h), !Contains("codestats_sqlite_"));
        continue;
      }
      REQUIRE(postPulse(h, token, 40, 2).status == 201);  // creates the language (a commit of its own)
      const std::string m0 = metrics(h);
      auto syncs0 = sample(m0, "codestats_sqlite_wal_syncs_total");
      REQUIRE(syncs0.has_value());
      CHECK_THAT(m0, Contains("# TYPE codestats_sqlite_wal_syncs_total counter\n"));
      // Sequential pulses: one commit and one sync each (nobody else's sync covers them).
      // The event log's reader for ingest (web reads no events) also commits its cursor, at
      // most once a second after a change: up to two such writes while the pulses go in.
      for (int i = 0; i < 5; ++i) REQUIRE(postPulse(h, token, 30 + i, 2).status == 201);
      const double syncs = sample(metrics(h), "codestats_sqlite_wal_syncs_total").value_or(-1) - *syncs0;
      CHECK(syncs >= 5);
      CHECK(syncs <= 5 + 2);
      // Enough pages for several checkpoints at 100 frames: the host thread runs them.
      REQUIRE(postConcurrently(h, token, 8, 400) == 400);
      std::optional<double> checkpoints, restarts;
      for (int i = 0; i < 100; ++i) {
        std::string m = metrics(h);
        checkpoints = sample(m, "codestats_sqlite_checkpoints_total");
        restarts = sample(m, "codestats_sqlite_wal_restarts_total");
        if (checkpoints.value_or(0) >= 1 && restarts.value_or(0) >= 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      CHECK(checkpoints.value_or(0) >= 1);
      CHECK(restarts.value_or(0) >= 1);
    }
  }
}

TEST_CASE("metrics: the cache reports its warm users and their bytes after warm-up", "[ops][metrics][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      BackendArgs db = backendArgs(backend);
      TempDir var;
      std::vector<std::string> args =
          db.args + std::vector<std::string>{"--set", "modules=web,ingest,cache",
                                             "--set", "modules.cache.refresh_interval_ms=100",
                                             "--set", "log.level=warn"};
      const std::vector<std::string> users{"ann", "bob", "cyd"};
      {
        HostProcess h(var.path(), args);
        for (size_t i = 0; i < users.size(); ++i) {
          run(h, {"run", "web.create-user", users[i]});
          std::string token = trim(run(h, {"run", "web.create-machine", users[i], "m"}));
          for (int k = 0; k < 3; ++k) REQUIRE(postPulse(h, token, 100 + k, static_cast<int>(i) + k + 1).status == 201);
        }
      }
      // A fresh start warms every user with pulses from the database.
      HostProcess h(var.path(), args);
      Poco::JSON::Object::Ptr st;
      REQUIRE(eventually(
          [&] {
            st = parseObject(run(h, {"run", "cache.status"}));
            return st->getObject("warmup")->getValue<bool>("done") && !st->getValue<bool>("busy");
          },
          30000));
      const std::string labels = R"({module="cache"})";
      // The gauges follow on the next refresher tick.
      bool same = eventually(
          [&] {
            st = parseObject(run(h, {"run", "cache.status"}));
            std::string m = metrics(h);
            return sample(m, "codestats_cache_warm_users" + labels) == st->getValue<double>("users_warm") &&
                   sample(m, "codestats_cache_bytes" + labels) == st->getValue<double>("bytes");
          },
          5000);
      std::string m = metrics(h);
      INFO(m);
      INFO(run(h, {"run", "cache.status"}));
      CHECK(same);
      CHECK_THAT(m, Contains("# TYPE codestats_cache_warm_users gauge\n"));
      CHECK_THAT(m, Contains("# TYPE codestats_cache_bytes gauge\n"));
      CHECK(sample(m, "codestats_cache_warm_users" + labels) == static_cast<double>(users.size()));
      CHECK(sample(m, "codestats_cache_bytes" + labels) > 0);
    }
  }
}

TEST_CASE("metrics: every family issue 9 names is on /metrics of a host running the product modules",
          "[ops][metrics]") {
  HostProcess h({"--set", "modules=web,ingest,mail,cache", "--set", "modules.cache.refresh_interval_ms=100", "--set",
                 "log.level=warn"});
  run(h, {"run", "web.create-user", "alice"});
  std::string token = trim(run(h, {"run", "web.create-machine", "alice", "laptop"}));
  REQUIRE(postPulse(h, token, 10, 5).status == 201);
  REQUIRE(h.get("/no/such/page").status == 404);
  // item 1: requests, status codes and latency per route and module version, pulses, batch
  // sizes, WebSocket connections, drains, reloads, zombies, pinned images, mail queue, cache size
  const std::vector<std::pair<std::string, std::string>> families{
      {"codestats_http_requests_total", "counter"},
      {"codestats_http_responses_total", "counter"},
      {"codestats_http_route_responses_total", "counter"},
      {"codestats_http_request_duration_seconds", "histogram"},
      {"codestats_module_counter_total", "counter"},
      {"codestats_ingest_batch_size", "histogram"},
      {"codestats_ws_connections", "gauge"},
      {"codestats_module_draining_generations", "gauge"},
      {"codestats_module_activations_total", "counter"},
      {"codestats_module_zombie_generations", "gauge"},
      {"codestats_module_pinned_images", "gauge"},
      {"codestats_module_drains_total", "counter"},
      {"codestats_module_zombies_total", "counter"},
      {"codestats_module_pinned_total", "counter"},
      {"codestats_ws_queue_overflows_total", "counter"},
      {"codestats_mail_queue_depth", "gauge"},
      {"codestats_cache_warm_users", "gauge"},
      {"codestats_cache_bytes", "gauge"},
  };
  std::string m;
  bool all = eventually([&] {  // the mail and cache gauges come with their first timer tick
    m = metrics(h);
    for (const auto& [name, type] : families)
      if (!contains(m, "# TYPE " + name + " " + type + "\n")) return false;
    return true;
  });
  INFO(m);
  for (const auto& [name, type] : families) CHECK_THAT(m, Contains("# TYPE " + name + " " + type + "\n"));
  CHECK(all);
  CHECK(sample(m, R"(codestats_module_counter_total{module="ingest",counter="pulses"})") == 1);
  CHECK(sample(m, R"(codestats_http_responses_total{class="4xx"})") >= 1);
  CHECK(sample(m, R"(codestats_mail_queue_depth{module="mail"})") == 0);
}
