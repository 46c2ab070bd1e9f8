// Reload under load: keep-alive clients hammer a module while it is reloaded every few
// milliseconds, alternating v1 and v2. Asserts 0 failed requests, both versions served,
// the served counter handed over exactly, and no old generation left mapped.
//
//   reload_under_load [--seconds N] [--interval-ms N] [--clients N] [--slow-clients N]
//                     [--min-reloads N] [--max-seconds N]
//                     [--steady-seconds N] [--no-drain --expect-failure]
//
// The reload phase lasts --seconds, and then on until --min-reloads reloads (default 2)
// are done and both versions have served requests: what the checks need is counted, not
// assumed to fit in the time on a slow machine. --max-seconds (default 240) only stops a
// host that no longer gets anywhere (the checks then fail).
// --steady-seconds first measures the same load without reloads, for the latency ratio
// reported by bench/reload_storm. --no-drain switches the host to its test-only unsafe
// mode; with --expect-failure the program succeeds only if the damage is detected (the
// phase ends at the first failure).
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host_process.hpp"

using namespace codestats::test;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  int seconds = 10;
  int intervalMs = 50;
  int clients = 8;
  int slowClients = 2;
  int steadySeconds = 0;
  int minReloads = 2;
  int maxSeconds = 240;
  bool noDrain = false;
  bool expectFailure = false;
};

struct Phase {
  std::atomic<bool> running{true};
  std::atomic<bool> reloading{false};
  std::atomic<long> ok{0}, failed{0}, v1{0}, v2{0};
  std::mutex latMu;
  std::vector<double> latenciesMs;  // fast requests only
  std::string firstFailure;
};

void client(int port, bool slow, Phase& ph) {
  std::vector<double> lat;
  auto session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", static_cast<Poco::UInt16>(port));
  session->setTimeout(Poco::Timespan(10, 0));
  const std::string target = slow ? "/hello/slow?ms=20" : "/hello";
  while (ph.running) {
    auto t0 = Clock::now();
    std::string why;
    try {
      Poco::Net::HTTPRequest req("GET", target, Poco::Net::HTTPMessage::HTTP_1_1);
      req.setKeepAlive(true);
      session->sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::string body;
      Poco::StreamCopier::copyToString(session->receiveResponse(resp), body);
      if (resp.getStatus() != 200) {
        why = "status " + std::to_string(resp.getStatus()) + ": " + body;
      } else if (body == "v1" || body == "slow-v1") {
        ph.v1++;
      } else if (body == "v2" || body == "slow-v2") {
        ph.v2++;
      } else {
        why = "unexpected body '" + body + "'";
      }
    } catch (const Poco::Exception& e) {
      why = e.displayText();
      session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", static_cast<Poco::UInt16>(port));
      session->setTimeout(Poco::Timespan(10, 0));
    }
    if (why.empty()) {
      ph.ok++;
      if (!slow) lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    } else {
      if (ph.failed++ == 0) {
        std::lock_guard lock(ph.latMu);
        ph.firstFailure = why;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  std::lock_guard lock(ph.latMu);
  ph.latenciesMs.insert(ph.latenciesMs.end(), lat.begin(), lat.end());
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

int mappedGenerations(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  std::vector<std::string> paths;
  while (std::getline(maps, line)) {
    // the host's module copies: var/run/<pid>/hello/<generation>-<sha8>.so
    auto pos = line.find("/run/" + std::to_string(pid) + "/hello/");
    if (pos == std::string::npos) continue;
    std::string path = line.substr(line.find('/'));
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  return static_cast<int>(paths.size());
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto num = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (a == "--seconds") o.seconds = num();
    else if (a == "--interval-ms") o.intervalMs = num();
    else if (a == "--clients") o.clients = num();
    else if (a == "--slow-clients") o.slowClients = num();
    else if (a == "--steady-seconds") o.steadySeconds = num();
    else if (a == "--min-reloads") o.minReloads = num();
    else if (a == "--max-seconds") o.maxSeconds = num();
    else if (a == "--no-drain") o.noDrain = true;
    else if (a == "--expect-failure") o.expectFailure = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      std::exit(2);
    }
  }
  return o;
}

// Runs clients for `seconds` (and, when reloading, on until the counts the checks need);
// reloads every intervalMs when `reload` is set.
struct PhaseResult {
  long ok, failed, v1, v2, reloads, reloadErrors;
  double maxReloadMs, p50, p99;
  std::string firstFailure;
  bool hostDied;
};

PhaseResult runPhase(HostProcess& host, const Options& o, bool reload) {
  Phase ph;
  std::vector<std::thread> threads;
  for (int i = 0; i < o.clients; ++i) threads.emplace_back(client, host.httpPort(), i < o.slowClients, std::ref(ph));
  long reloads = 0, reloadErrors = 0;
  double maxReloadMs = 0;
  bool hostDied = false;
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(reload ? o.seconds : o.steadySeconds);
  const auto hardEnd = start + std::chrono::seconds(std::max(o.maxSeconds, reload ? o.seconds : o.steadySeconds));
  auto enough = [&] { return !reload || (reloads >= o.minReloads && ph.v1 > 0 && ph.v2 > 0); };
  int n = 0;
  for (;;) {
    auto tick = Clock::now();
    if (tick >= hardEnd || (tick >= end && enough())) break;
    if (reload && o.expectFailure && (ph.failed > 0 || reloadErrors > 0)) break;  // detected
    if (reload) {
      std::string artifact = fixture(n++ % 2 == 0 ? "hello_v2" : "hello_v1");
      try {
        auto r = host.admin("POST", "/admin/modules/hello/reload", R"({"artifact":")" + artifact + R"(","wait":true})");
        if (r.status == 200) reloads++;
        else reloadErrors++;
      } catch (const std::exception&) {
        reloadErrors++;
      }
      maxReloadMs = std::max(maxReloadMs, std::chrono::duration<double, std::milli>(Clock::now() - tick).count());
    }
    if (!host.alive()) {
      hostDied = true;
      break;
    }
    std::this_thread::sleep_until(tick + std::chrono::milliseconds(reload ? o.intervalMs : 100));
  }
  ph.running = false;
  for (auto& t : threads) t.join();
  return PhaseResult{ph.ok,
                     ph.failed,
                     ph.v1,
                     ph.v2,
                     reloads,
                     reloadErrors,
                     maxReloadMs,
                     percentile(ph.latenciesMs, 50),
                     percentile(ph.latenciesMs, 99),
                     ph.firstFailure,
                     hostDied || !host.alive()};
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<std::string> args{"--set", "modules=hello",
                                "--set", "modules.hello.artifact=" + fixture("hello_v1"),
                                "--set", "modules.hello.drain_timeout_ms=10000",
                                "--set", "log.level=warn"};
  if (o.noDrain) args.insert(args.end(), {"--set", "test.unsafe_no_drain=true"});
  HostProcess host(args);

  PhaseResult steady{};
  if (o.steadySeconds > 0) {
    steady = runPhase(host, o, false);
    std::printf("steady: ok=%ld failed=%ld p50=%.3fms p99=%.3fms\n", steady.ok, steady.failed, steady.p50, steady.p99);
  }
  PhaseResult r = runPhase(host, o, true);
  bool died = r.hostDied;

  long served = -1;
  int mapped = -1;
  std::string pinned;
  if (!died) {
    try {
      auto st = Poco::JSON::Parser().parse(host.get("/hello/state").body).extract<Poco::JSON::Object::Ptr>();
      served = st->getValue<long>("served");
      mapped = mappedGenerations(host.pid());
      auto info =
          Poco::JSON::Parser().parse(host.admin("GET", "/admin/modules/hello").body).extract<Poco::JSON::Object::Ptr>();
      auto m = info->getArray("modules")->getObject(0);
      pinned = std::to_string(m->getArray("pinned")->size());
      std::printf("max_drain_ms=%s\n", m->get("max_drain_ms").toString().c_str());
    } catch (const std::exception& e) {
      died = true;
      std::printf("post-run checks failed: %s\n", e.what());
    }
  }
  long expectedServed = r.ok + steady.ok;  // /hello/state itself is not counted by the fixture
  std::printf("reloads=%ld reload_errors=%ld max_reload_ms=%.1f\n", r.reloads, r.reloadErrors, r.maxReloadMs);
  std::printf("requests: ok=%ld failed=%ld v1=%ld v2=%ld\n", r.ok, r.failed, r.v1, r.v2);
  std::printf("reloading: p50=%.3fms p99=%.3fms\n", r.p50, r.p99);
  if (o.steadySeconds > 0 && steady.p99 > 0) std::printf("p99 ratio reloading/steady=%.2f\n", r.p99 / steady.p99);
  std::printf("served counter carried across generations=%ld (expected %ld)\n", served, expectedServed);
  std::printf("hello images mapped at the end=%d (expected 1), pinned=%s, host %s\n", mapped, pinned.c_str(),
              died ? "DIED" : "alive");
  if (!r.firstFailure.empty()) std::printf("first failure: %s\n", r.firstFailure.c_str());

  bool pass = !died && r.failed == 0 && steady.failed == 0 && r.reloadErrors == 0 && r.v1 > 0 && r.v2 > 0 &&
              r.reloads >= std::max(o.minReloads, 2) && served == expectedServed && mapped == 1 && pinned == "0";
  if (o.expectFailure) {
    std::printf(pass ? "negative control NOT detected: the unsafe reload looked fine\n"
                     : "negative control detected the unsafe reload (as it must)\n");
    return pass ? 1 : 0;
  }
  if (!pass) std::printf("FAILED\n%s\n", died ? host.log().c_str() : "");
  return pass ? 0 : 1;
}
