// Replacing the host process under traffic (codestatsctl upgrade, SIGUSR2; docs/operations.md,
// "Upgrading the host"): the successor serves on the same ports with the modules' state,
// WebSockets stay open and keep receiving, idle keep-alive connections (also ones holding
// half a request) are served by the successor, a successor that fails leaves the running
// host serving, two upgrades at once are refused, and systemd hears the new main PID.
#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "backends.hpp"
#include "host_process.hpp"
#include "raw_http_connection.hpp"
#include "ws_client.hpp"

using namespace codestats::test;

namespace {

using Clock = std::chrono::steady_clock;

Poco::JSON::Object::Ptr json(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Object::Ptr>();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

struct UpgradeHost {
  BackendArgs db;
  std::unique_ptr<HostProcess> h;
  std::string token;

  explicit UpgradeHost(const std::string& backend, std::vector<std::string> env = {}) : db(backendArgs(backend)) {
    adoptOrphans();
    h = std::make_unique<HostProcess>(
        db.args + std::vector<std::string>{"--set", "modules=web,ingest,cache,channels", "--set", "log.level=info"},
        std::move(env));
    run({"run", "web.create-user", "alice"});
    token = trim(run({"run", "web.create-machine", "alice", "laptop"}));
  }
  std::string run(const std::vector<std::string>& args) {
    std::string out;
    int rc = h->ctl(args, out);
    INFO(out);
    REQUIRE(rc == 0);
    return out;
  }
  int pulse(int xp) {
    return h
        ->request(
            "POST", "/api/my/pulses",
            R"({"coded_at":")" + codedAtAgo(5, 0) + R"(","xps":[{"language":"C++","xp":)" + std::to_string(xp) + "}]}",
            {{"X-API-Token", token}, {"Content-Type", "application/json"}})
        .status;
  }
  int64_t totalXp() {
    auto r = h->get("/api/users/alice");
    REQUIRE(r.status == 200);
    return json(r.body)->getValue<int64_t>("total_xp");
  }
  // The profile from the cache reaches `xp` (events are delivered asynchronously).
  void waitXp(int64_t xp) {
    auto end = Clock::now() + std::chrono::seconds(30);
    while (totalXp() != xp && Clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(totalXp() == xp);
  }
};

// Joins users:alice over Phoenix V2.
std::unique_ptr<WsClient> joinAlice(int port) {
  auto ws = std::make_unique<WsClient>(port, "/live_update_socket/websocket?vsn=2.0.0");
  REQUIRE(ws->open());
  ws->sendText(R"(["1","1","users:alice","phx_join",{}])");
  auto reply = ws->waitFor(R"("phx_reply")");
  REQUIRE(reply);
  REQUIRE(reply->find(R"("status":"ok")") != std::string::npos);
  return ws;
}

// The bytes of a pulse request (one keep-alive HTTP/1.1 request on the fast lane).
std::string pulseRequest(const std::string& token, int xp) {
  const std::string body =
      R"({"coded_at":")" + codedAtAgo(5, 0) + R"(","xps":[{"language":"C++","xp":)" + std::to_string(xp) + "}]}";
  return "POST /api/my/pulses HTTP/1.1\r\nHost: codestats.test\r\nX-API-Token: " + token +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string profileRequest() { return "GET /api/users/alice HTTP/1.1\r\nHost: codestats.test\r\n\r\n"; }

// Which process answered: request ids start with a random prefix per process (8 hex digits).
std::string answeredBy(const RawResponse& r) { return r.header("X-Request-Id").substr(0, 8); }

// A stand-in for a broken build: exits at once.
std::string writeScript(const std::string& dir, const std::string& name, const std::string& body) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

// Starts `codestatsctl upgrade` to a successor that takes its time (the real binary, started
// `delaySeconds` late) and returns once the host has started it; the future gives the
// command's exit code and output.
std::future<std::pair<int, std::string>> startSlowUpgrade(UpgradeHost& u, int delaySeconds) {
  std::string slow = writeScript(u.h->varDir(), "slow-codestatsd",
                                 "sleep " + std::to_string(delaySeconds) + "; exec '" + hostBinary() + "' \"$@\"");
  auto upgrade = std::async(std::launch::async, [&u, slow] {
    std::string out;
    int rc = u.h->ctl({"upgrade", slow}, out);
    return std::make_pair(rc, out);
  });
  auto end = Clock::now() + std::chrono::seconds(30);
  while (u.h->log().find("[upgrade] started") == std::string::npos && Clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return upgrade;
}

}  // namespace

TEST_CASE("an upgrade hands sockets, module state and live joins to a new process", "[upgrade]") {
  for (const auto& backend : testBackends()) {
    SECTION(backend) {
      UpgradeHost u(backend);
      REQUIRE(u.pulse(10) == 201);
      u.waitXp(10);
      auto ws = joinAlice(u.h->httpPort());
      const pid_t oldPid = u.h->pid();
      const int httpPort = u.h->httpPort(), adminPort = u.h->adminPort();

      auto outcome = json(u.run({"upgrade"}));
      const pid_t newPid = outcome->getValue<int>("new_pid");
      CHECK(outcome->getValue<int>("old_pid") == oldPid);
      CHECK(newPid != oldPid);
      CHECK(outcome->getValue<int>("sockets_moved") == 1);
      int status = u.h->followSuccessor();
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
      CHECK(u.h->pid() == newPid);
      CHECK(u.h->httpPort() == httpPort);
      CHECK(u.h->adminPort() == adminPort);

      // The cache came over warm: the profile is right at the first request.
      CHECK(u.totalXp() == 10);
      CHECK(u.h->log().find("cache: imported 1 warm users") != std::string::npos);

      // The socket never closed and receives the new host's pulses; the heartbeat works.
      REQUIRE(u.pulse(7) == 201);
      auto pushed = ws->waitFor(R"("new_pulse")");
      REQUIRE(pushed);
      CHECK(pushed->find(R"("C++")") != std::string::npos);
      ws->sendText(R"([null,"9","phoenix","heartbeat",{}])");
      auto beat = ws->waitFor(R"("9","phoenix","phx_reply")");
      CHECK(beat);
      u.waitXp(17);

      // And again, from the successor.
      auto second = json(u.run({"upgrade"}));
      CHECK(second->getValue<int>("old_pid") == newPid);
      u.h->followSuccessor();
      REQUIRE(u.pulse(3) == 201);
      CHECK(ws->waitFor(R"("new_pulse")"));
      u.waitXp(20);
    }
  }
}

TEST_CASE("idle keep-alive connections, also with half a request, are served by the new host", "[upgrade]") {
  for (const auto& backend : testBackends()) {
    SECTION(backend) {
      UpgradeHost u(backend);
      const int port = u.h->httpPort();
      // Kept alive after a page request (the full path) and after a pulse (the fast lane).
      RawHttpConnection afterPage(port), afterPulse(port), halfPulse(port), halfHead(port);
      afterPage.send(profileRequest());
      RawResponse page = afterPage.readResponse();
      REQUIRE(page.status == 200);
      REQUIRE(page.header("Connection") == "Keep-Alive");
      const std::string oldHost = answeredBy(page);
      afterPulse.send(pulseRequest(u.token, 1));
      RawResponse pulse = afterPulse.readResponse();
      REQUIRE(pulse.status == 201);
      REQUIRE(pulse.header("Connection") == "Keep-Alive");
      // Half a request before the upgrade, the rest after it: the head and part of the body
      // of a pulse, and part of the head of a page request.
      const std::string second = pulseRequest(u.token, 2);
      const size_t cut = second.size() - 10;
      halfPulse.send(second.substr(0, cut));
      const std::string third = profileRequest();
      halfHead.send(third.substr(0, 20));

      const pid_t oldPid = u.h->pid();
      auto outcome = json(u.run({"upgrade"}));
      const pid_t newPid = outcome->getValue<int>("new_pid");
      // The old host has drained and exited: whatever answers now is the new one.
      int status = u.h->followSuccessor();
      REQUIRE(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
      REQUIRE(u.h->pid() == newPid);
      REQUIRE(newPid != oldPid);
      RawHttpConnection fresh(port);
      fresh.send(profileRequest());
      const std::string newHost = answeredBy(fresh.readResponse());
      REQUIRE(newHost != oldHost);

      // The same sockets, each with a POST (or the rest of its request), answered by it.
      afterPage.send(pulseRequest(u.token, 4));
      RawResponse a = afterPage.readResponse();
      CHECK(a.status == 201);
      CHECK(a.header("Connection") == "Keep-Alive");
      CHECK(answeredBy(a) == newHost);
      afterPulse.send(pulseRequest(u.token, 8));
      RawResponse b = afterPulse.readResponse();
      CHECK(b.status == 201);
      CHECK(answeredBy(b) == newHost);
      halfPulse.send(second.substr(cut));
      RawResponse c = halfPulse.readResponse();
      CHECK(c.status == 201);
      CHECK(answeredBy(c) == newHost);
      halfHead.send(third.substr(20));
      RawResponse d = halfHead.readResponse();
      CHECK(d.status == 200);
      CHECK(answeredBy(d) == newHost);
      // And they stay usable.
      afterPulse.send(profileRequest());
      CHECK(afterPulse.readResponse().status == 200);
      u.waitXp(1 + 2 + 4 + 8);
    }
  }
}

// The other half of moving keep-alive connections: a draining host (after an upgrade, as
// after SIGTERM) tells every client it still answers that the connection ends, so none sends
// another request on a connection that is about to close. Both requests here run on the
// full path (the fast lane's answers said so already).
TEST_CASE("a draining host answers with Connection: close", "[upgrade]") {
  HostProcess h({"--set", "modules=hello", "--set", "modules.hello.artifact=" + fixture("hello_v1"), "--set",
                 "http.drain_ms=30000"});
  const int port = h.httpPort();
  RawHttpConnection held(port), control(port);
  held.send("GET /hello/hold HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto end = Clock::now() + std::chrono::seconds(30);
  std::string holding;
  do {
    control.send("GET /hello/holding HTTP/1.1\r\nHost: x\r\n\r\n");
    holding = control.readResponse().body;
  } while (holding != "1" && Clock::now() < end);
  REQUIRE(holding == "1");

  // Draining: new connections are refused; the two open ones are still served.
  REQUIRE(::kill(h.pid(), SIGTERM) == 0);
  bool refused = false;
  while (!refused && Clock::now() < end) {
    try {
      RawHttpConnection probe(port);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } catch (const std::runtime_error&) {
      refused = true;
    }
  }
  REQUIRE(refused);
  control.send("POST /hello/release HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  RawResponse released = control.readResponse();
  CHECK(released.status == 204);
  CHECK(released.header("Connection") == "Close");
  CHECK(control.waitForEnd(5000) == PeerEnd::Closed);
  RawResponse answer = held.readResponse(30000);
  CHECK(answer.status == 200);
  CHECK(answer.header("Connection") == "Close");
  CHECK(held.waitForEnd(5000) == PeerEnd::Closed);
  const int status = h.stop();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a successor that fails to start leaves the running host serving", "[upgrade]") {
  for (const auto& backend : testBackends()) {
    SECTION(backend) {
      UpgradeHost u(backend);
      auto ws = joinAlice(u.h->httpPort());
      std::string broken = writeScript(u.h->varDir(), "broken-codestatsd", "echo 'no good' >&2; exit 3");
      std::string out;
      int rc = u.h->ctl({"upgrade", broken}, out);
      INFO(out);
      CHECK(rc != 0);
      CHECK(out.find("502") != std::string::npos);
      CHECK(out.find("exited with status 3") != std::string::npos);
      CHECK(out.find("keeps serving") != std::string::npos);

      rc = u.h->ctl({"upgrade", u.h->varDir() + "/no-such-binary"}, out);
      CHECK(rc != 0);
      CHECK(out.find("422") != std::string::npos);

      // Still the same process, still accepting, its event consumers running again, the
      // socket still joined.
      REQUIRE(u.h->alive());
      REQUIRE(u.pulse(5) == 201);
      u.waitXp(5);
      CHECK(ws->waitFor(R"("new_pulse")"));
    }
  }
}

TEST_CASE("a successor that never gets ready is killed after upgrade.timeout_ms", "[upgrade]") {
  adoptOrphans();
  HostProcess h({"--set", "modules=web,ingest", "--set", "upgrade.timeout_ms=1000"});
  std::string hanging = writeScript(h.varDir(), "hanging-codestatsd", "exec sleep 600");
  std::string out;
  int rc = h.ctl({"upgrade", hanging}, out);
  INFO(out);
  CHECK(rc != 0);
  CHECK(out.find("timed out") != std::string::npos);
  CHECK(out.find("keeps serving") != std::string::npos);
  REQUIRE(h.alive());
  CHECK(h.get("/healthz").status == 200);
  // The hanging process is gone (killed and reaped by the host), not left behind.
  auto at = out.find("(pid ");
  REQUIRE(at != std::string::npos);
  const pid_t hung = std::atoi(out.c_str() + at + 5);
  REQUIRE(hung > 0);
  CHECK(::kill(hung, 0) != 0);
}

TEST_CASE("a second upgrade while one runs is refused with 409", "[upgrade]") {
  UpgradeHost u("sqlite");
  auto first = startSlowUpgrade(u, 1);
  std::string out;
  int rc = u.h->ctl({"upgrade"}, out);
  INFO(out);
  CHECK(rc != 0);
  CHECK(out.find("409") != std::string::npos);
  CHECK(out.find("already in progress") != std::string::npos);
  auto [firstRc, firstOut] = first.get();
  INFO(firstOut);
  CHECK(firstRc == 0);
  u.h->followSuccessor();
  REQUIRE(u.pulse(1) == 201);
}

TEST_CASE("SIGTERM during an upgrade ends it: the new process is killed, the host exits 0", "[upgrade]") {
  UpgradeHost u("sqlite");
  auto upgrade = startSlowUpgrade(u, 2);
  auto at = u.h->log().find(" as pid ");
  REQUIRE(at != std::string::npos);
  const pid_t successor = std::atoi(u.h->log().c_str() + at + 8);
  REQUIRE(successor > 0);
  int status = u.h->stop();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(::kill(successor, 0) != 0);  // killed and reaped by the host, not left serving
  auto [rc, out] = upgrade.get();
  INFO(out);
  CHECK(rc != 0);
}

TEST_CASE("SIGUSR2 upgrades, and systemd hears READY and the new MAINPID", "[upgrade][systemd]") {
  TempDir dir;
  std::string path = dir.path() + "/notify";
  int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  auto receive = [&] {
    timeval tv{60, 0};
    ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };

  UpgradeHost u("sqlite", {"NOTIFY_SOCKET=" + path});
  CHECK(receive() == "READY=1");
  const pid_t oldPid = u.h->pid();
  ::kill(oldPid, SIGUSR2);
  std::string note = receive();
  u.h->followSuccessor();
  CHECK(u.h->pid() != oldPid);
  CHECK(note == "MAINPID=" + std::to_string(u.h->pid()) + "\nREADY=1");
  REQUIRE(u.pulse(2) == 201);
  u.waitXp(2);
  u.h->stop();
  CHECK(receive() == "STOPPING=1");
  ::close(sock);
}
