// Crash safety under ingest load (issue 9 item 5), on every DB backend: clients post
// pulses while the host is killed with SIGKILL at a random moment, several rounds; after
// each restart every pulse that got a 201 is stored exactly once, no pulse is stored
// twice, and the aggregates equal a full recomputation.
//
// Each pulse carries a unique XP amount, which identifies it in `ingest.pulses`.
#include <catch2/catch.hpp>

#include <atomic>
#include <ctime>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "backends.hpp"
#include "ops_helpers.hpp"

using namespace codestats::test;

namespace {

constexpr int kRounds = 4;
constexpr int kClients = 8;
// Pulses acknowledged in a round before its kill may come: the load is counted, not assumed
// from a duration (a sanitizer build on a busy machine acknowledges few per second).
constexpr size_t kAckedPerRound = 8;

const char* const kAggregates[] = {"by_language", "by_machine", "by_day", "by_hour", "totals"};

}  // namespace

TEST_CASE("crash safety: SIGKILL under ingest load loses no acknowledged pulse and duplicates none", "[crash][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir var;
      BackendArgs db = backendArgs(backend);
      // No crash-guard noise: these kills are not caused by a module version.
      std::vector<std::string> args =
          db.args + std::vector<std::string>{"--set", "modules=web,ingest", "--set", "crash_guard.window_ms=0"};
      std::string token;
      {
        HostProcess h(var.path(), args);
        run(h, {"run", "web.create-user", "alice"});
        token = trim(run(h, {"run", "web.create-machine", "alice", "laptop"}));
      }

      std::mt19937 rng(std::random_device{}());
      std::set<int64_t> acknowledged;
      int64_t acknowledgedXp = 0;
      for (int round = 0; round < kRounds; ++round) {
        HostProcess h(var.path(), args);
        const size_t ackedBefore = acknowledged.size();
        std::atomic<bool> stop{false};
        std::mutex mu;
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c)
          clients.emplace_back([&, c] {
            for (int seq = 0; !stop; ++seq) {
              int64_t id = int64_t(round + 1) * 1000000 + c * 100000 + seq;
              std::string body = R"({"coded_at":")" + isoSecondsAgo(seq % 3600) + R"(","xps":[{"language":"Lang)" +
                                 std::to_string(seq % 5) + R"(","xp":)" + std::to_string(id) + "}]}";
              try {
                auto r = httpRequest(h.httpPort(), "POST", "/api/my/pulses", body,
                                     {{"X-API-Token", token}, {"Content-Type", "application/json"}});
                if (r.status == 201) {
                  std::lock_guard lock(mu);
                  acknowledged.insert(id);
                  acknowledgedXp += id;
                }
              } catch (const std::exception&) {
                // killed mid-request: not acknowledged, may or may not be stored
              }
            }
          });
        // The kill comes at a random moment after the round's first kAckedPerRound pulses.
        auto ackedThisRound = [&] {
          std::lock_guard lock(mu);
          return acknowledged.size() - ackedBefore;
        };
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (ackedThisRound() < kAckedPerRound && std::chrono::steady_clock::now() < deadline && h.alive())
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        const size_t acked = ackedThisRound();
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 900)(rng)));
        h.kill();
        stop = true;
        for (auto& t : clients) t.join();
        INFO("round " << round << ": " << acked << " pulses acknowledged when the random wait before the kill began");
        REQUIRE(acked >= kAckedPerRound);  // else the host stopped acknowledging for minutes
      }

      HostProcess h(var.path(), args);
      auto stats = parseObject(run(h, {"run", "ingest.stats"}));
      int64_t pulses = stats->getValue<int64_t>("pulses");
      auto list = Poco::JSON::Parser()
                      .parse(run(h, {"run", "ingest.pulses", "alice", std::to_string(pulses + 10)}))
                      .extract<Poco::JSON::Array::Ptr>();
      REQUIRE(static_cast<int64_t>(list->size()) == pulses);
      std::map<int64_t, int> stored;
      for (size_t i = 0; i < list->size(); ++i) {
        auto xps = list->getObject(static_cast<unsigned>(i))->getArray("xps");
        REQUIRE(xps->size() == 1);
        ++stored[xps->getObject(0)->getValue<int64_t>("amount")];
      }
      int missing = 0, duplicated = 0;
      for (int64_t id : acknowledged) missing += stored.count(id) ? 0 : 1;
      for (const auto& [id, n] : stored) duplicated += n > 1 ? 1 : 0;
      INFO("acknowledged " << acknowledged.size() << ", stored " << stored.size());
      CHECK(missing == 0);
      CHECK(duplicated == 0);
      CHECK(stats->getValue<int64_t>("xps_sum") >= acknowledgedXp);

      // The incremental aggregates equal a full recomputation.
      int64_t sum = stats->getValue<int64_t>("xps_sum");
      for (const char* a : kAggregates) CHECK(stats->getValue<int64_t>(a) == sum);
      run(h, {"run", "ingest.rebuild-aggregates", "--all"});
      auto rebuilt = parseObject(run(h, {"run", "ingest.stats"}));
      for (const char* a : kAggregates) {
        INFO(a);
        CHECK(rebuilt->getValue<int64_t>(a) == stats->getValue<int64_t>(a));
      }
    }
  }
}
