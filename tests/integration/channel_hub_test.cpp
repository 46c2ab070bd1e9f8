// The host's WebSocket hub against a real host: the Phoenix V2 and V1 protocols (heartbeat, join,
// leave, duplicate joins, replies), socket-connect refusal, broadcasts, bad input closed
// with the right codes, a client that stops reading, and module reloads under open sockets.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>

#include "host_process.hpp"
#include "ws_client.hpp"

using namespace codestats::test;

namespace {

const char* kSocket = "/live_update_socket/websocket?vsn=2.0.0";

HostProcess echoHost(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--set", "modules=echo", "--set", "modules.echo.artifact=" + fixture("echo_v1")};
  args.insert(args.end(), extra.begin(), extra.end());
  return HostProcess(args);
}

std::string join(const std::string& ref, const std::string& topic, const std::string& payload = "{}") {
  return "[\"" + ref + "\",\"" + ref + "\",\"" + topic + "\",\"phx_join\"," + payload + "]";
}

}  // namespace

TEST_CASE("heartbeat, join, broadcast, leave over the Phoenix V2 protocol", "[channels]") {
  HostProcess h({"--set", "modules=echo", "--set", "modules.echo.artifact=" + fixture("echo_v1")});
  WsClient ws(h.httpPort(), kSocket);
  REQUIRE(ws.open());

  ws.sendText(R"([null,"1","phoenix","heartbeat",{}])");
  CHECK(ws.next().payload == R"([null,"1","phoenix","phx_reply",{"status":"ok","response":{}}])");

  ws.sendText(join("2", "room:a", R"({"k":1})"));
  CHECK(ws.next().payload ==
        R"(["2","2","room:a","phx_reply",{"status":"ok","response":{"topic":"room:a","version":"v1","identity":""}}])");

  ws.sendText(R"(["2","3","room:a","echo",{"x":[1,2]}])");
  CHECK(ws.next().payload == R"(["2","3","room:a","phx_reply",{"status":"ok","response":{"x":[1,2]}}])");
  ws.sendText(R"(["2","4","room:a","assigns",{}])");
  CHECK(ws.next().payload == R"(["2","4","room:a","phx_reply",{"status":"ok","response":{"assigns":{"k":1}}}])");

  REQUIRE(h.request("POST", "/echo/broadcast?topic=room:a&event=shout", R"({"n":7})").status == 202);
  CHECK(ws.next().payload == R"([null,null,"room:a","shout",{"n":7}])");
  REQUIRE(h.request("POST", "/echo/broadcast?topic=room:other&event=shout", R"({"n":8})").status == 202);

  ws.sendText(R"(["2","5","room:a","phx_leave",{}])");
  CHECK(ws.next().payload == R"(["2","5","room:a","phx_reply",{"status":"ok","response":{}}])");
  CHECK(ws.next().payload == R"(["2","2","room:a","phx_close",{}])");
  CHECK(h.get("/echo/leaves").body == "1");
  // not joined any more: nothing arrives for room:a
  REQUIRE(h.request("POST", "/echo/broadcast?topic=room:a&event=shout", "{}").status == 202);
  ws.sendText(R"([null,"6","phoenix","heartbeat",{}])");
  CHECK(ws.next().payload == R"([null,"6","phoenix","phx_reply",{"status":"ok","response":{}}])");
}

TEST_CASE("joins are authorised by the module; refusals are error replies", "[channels]") {
  auto h = echoHost();
  WsClient anon(h.httpPort(), kSocket);
  anon.sendText(join("1", "room:private"));
  CHECK(anon.next().payload ==
        R"(["1","1","room:private","phx_reply",{"status":"error","response":{"reason":"Unauthorized."}}])");
  anon.sendText(join("2", "lobby"));
  CHECK(anon.next().payload ==
        R"(["2","2","lobby","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}])");
  anon.sendText(R"(["9","9","room:b","echo",{}])");  // an event before its join
  CHECK(anon.next().payload ==
        R"(["9","9","room:b","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}])");

  WsClient owner(h.httpPort(), std::string(kSocket) + "&token=owner");
  owner.sendText(join("1", "room:private"));
  CHECK_THAT(owner.next().payload, Catch::Contains(R"("status":"ok")") && Catch::Contains(R"("identity":"owner")"));

  int status = 0;
  WsClient refused(h.httpPort(), std::string(kSocket) + "&token=bad", &status);
  CHECK(status == 403);
  CHECK_FALSE(refused.open());
  // Phoenix refuses a vsn no serializer matches as a failed connect: 403 (here with a reason)
  for (const char* vsn : {"3.0.0", "2.1.0", "garbage"}) {
    INFO(vsn);
    std::string response;
    WsClient unsupported(h.httpPort(), std::string("/live_update_socket/websocket?vsn=") + vsn, {}, &status, &response);
    CHECK(status == 403);
    CHECK_FALSE(unsupported.open());
    CHECK_THAT(response,
               Catch::Contains("application/json") &&
                   Catch::EndsWith(R"({"error":"unsupported serializer vsn: 1.0.0 and 2.0.0 are supported"})"));
  }
}

TEST_CASE("Phoenix V1 (vsn=1.0.0, JSON objects) beside V2 on the same path", "[channels][v1]") {
  auto h = echoHost();
  WsClient v1(h.httpPort(), "/live_update_socket/websocket?vsn=1.0.0");
  WsClient v2(h.httpPort(), kSocket);
  REQUIRE(v1.open());
  REQUIRE(v2.open());

  v1.sendText(R"({"topic":"phoenix","event":"heartbeat","payload":{},"ref":"1"})");
  CHECK(v1.next().payload ==
        R"({"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"})");

  // phoenix.js 1.3 sends join_ref with its V1 objects; the server's V1 frames carry none
  v1.sendText(R"({"topic":"room:a","event":"phx_join","payload":{"k":1},"ref":"2","join_ref":"2"})");
  CHECK(
      v1.next().payload ==
      R"({"topic":"room:a","event":"phx_reply","payload":{"status":"ok","response":{"topic":"room:a","version":"v1","identity":""}},"ref":"2"})");
  v2.sendText(join("1", "room:a"));
  CHECK_THAT(v2.next().payload, Catch::StartsWith(R"(["1","1","room:a","phx_reply",{"status":"ok")"));

  v1.sendText(R"({"topic":"room:a","event":"echo","payload":{"x":[1,2]},"ref":"3"})");
  CHECK(v1.next().payload ==
        R"({"topic":"room:a","event":"phx_reply","payload":{"status":"ok","response":{"x":[1,2]}},"ref":"3"})");

  // one broadcast reaches both, each in its own format
  REQUIRE(h.request("POST", "/echo/broadcast?topic=room:a&event=new_pulse", R"({"n":7})").status == 202);
  CHECK(v1.next().payload == R"({"topic":"room:a","event":"new_pulse","payload":{"n":7},"ref":null})");
  CHECK(v2.next().payload == R"([null,null,"room:a","new_pulse",{"n":7}])");

  v1.sendText(R"({"topic":"lobby","event":"phx_join","payload":{},"ref":"4"})");  // unknown topic
  CHECK(
      v1.next().payload ==
      R"({"topic":"lobby","event":"phx_reply","payload":{"status":"error","response":{"reason":"unmatched topic"}},"ref":"4"})");

  v1.sendText(R"({"topic":"room:a","event":"phx_leave","payload":{},"ref":"5"})");
  CHECK(v1.next().payload ==
        R"({"topic":"room:a","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"5"})");
  CHECK(v1.next().payload == R"({"topic":"room:a","event":"phx_close","payload":{},"ref":"2"})");
  CHECK(h.get("/echo/leaves").body == "1");
  REQUIRE(h.request("POST", "/echo/broadcast?topic=room:a&event=new_pulse", R"({"n":8})").status == 202);
  CHECK(v2.next().payload == R"([null,null,"room:a","new_pulse",{"n":8}])");
  CHECK(v1.next(300).opcode == 0);  // left: nothing more for the V1 socket

  SECTION("a connect without vsn speaks V1, as Phoenix's default is 1.0.0") {
    WsClient bare(h.httpPort(), "/live_update_socket/websocket");
    REQUIRE(bare.open());
    bare.sendText(R"({"topic":"phoenix","event":"heartbeat","payload":{},"ref":"9"})");
    CHECK(bare.next().payload ==
          R"({"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"9"})");
  }
  SECTION("a V2 array on a V1 socket, and a V1 object on a V2 socket, are closed with 1003") {
    v1.sendText(R"([null,"6","phoenix","heartbeat",{}])");
    WsFrame f1 = v1.next();
    while (f1.opcode == 1) f1 = v1.next();
    CHECK(f1.closeCode() == 1003);
    v2.sendText(R"({"topic":"phoenix","event":"heartbeat","payload":{},"ref":"6"})");
    WsFrame f2 = v2.next();
    while (f2.opcode == 1) f2 = v2.next();
    CHECK(f2.closeCode() == 1003);
  }
}

TEST_CASE("a browser page elsewhere cannot open a socket: Origin is checked like Phoenix's check_origin",
          "[channels][origin][security]") {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  // Answers the upgrade with `headers`; a working socket must also answer a heartbeat.
  auto upgrade = [](int port, const Headers& headers, std::string* response = nullptr) {
    int status = 0;
    WsClient ws(port, kSocket, headers, &status, response);
    if (status == 101) {
      ws.sendText(R"([null,"1","phoenix","heartbeat",{}])");
      if (ws.next().payload != R"([null,"1","phoenix","phx_reply",{"status":"ok","response":{}}])") return -1;
    }
    return status;
  };

  SECTION("no base_url: the request's Host names the site") {
    auto h = echoHost({"--set", "ws.allowed_origins=https://app.example.net, dev.example.net:3000"});
    const std::string self = "127.0.0.1:" + std::to_string(h.httpPort());
    // what Chromium sends for a page at http://127.0.0.1:PORT (the browser e2e tests)
    CHECK(upgrade(h.httpPort(), {{"Host", self}, {"Origin", "http://" + self}}) == 101);
    CHECK(upgrade(h.httpPort(), {{"Host", "Codestats.Example.org"}, {"Origin", "https://codestats.example.org"}}) ==
          101);
    // no Origin: editor plugins, the node phoenix client
    CHECK(upgrade(h.httpPort(), {{"Host", self}}) == 101);
    CHECK(upgrade(h.httpPort(), {}) == 101);
    // the allow-list
    CHECK(upgrade(h.httpPort(), {{"Host", self}, {"Origin", "https://app.example.net"}}) == 101);
    CHECK(upgrade(h.httpPort(), {{"Host", self}, {"Origin", "http://dev.example.net:3000"}}) == 101);

    std::string response;
    CHECK(upgrade(h.httpPort(), {{"Host", self}, {"Origin", "https://evil.example"}}, &response) == 403);
    CHECK_THAT(response, Catch::Contains(R"({"error":"Origin not allowed"})"));
    CHECK_THAT(response, !Catch::Contains("Upgrade: websocket"));
    for (const std::string& origin :
         std::vector<std::string>{"http://127.0.0.1:1", "null", "http://dev.example.net:3001",
                                  "https://" + self + ".evil.example", "http://app.example.net"}) {
      INFO(origin);
      CHECK(upgrade(h.httpPort(), {{"Host", self}, {"Origin", origin}}) == 403);
    }
    auto metrics = h.admin("GET", "/metrics");
    CHECK_THAT(metrics.body, Catch::Contains("codestats_ws_origin_refused_total 6"));
    // one warning line, the rest counted (util/LogLimiter)
    std::string log = h.log();
    size_t lines = 0;
    for (size_t at = 0; (at = log.find("refused a live-update socket", at)) != std::string::npos; ++at) ++lines;
    CHECK(lines == 1);
    CHECK_THAT(log, Catch::Contains("Origin 'https://evil.example'"));
  }

  SECTION("base_url names the site; a forged Host header does not help") {
    auto h = echoHost({"--set", "modules.web.base_url=https://codestats.example.org/"});
    CHECK(upgrade(h.httpPort(), {{"Host", "codestats.example.org"}, {"Origin", "https://codestats.example.org"}}) ==
          101);
    CHECK(upgrade(h.httpPort(), {{"Host", "evil.example"}, {"Origin", "https://evil.example"}}) == 403);
    CHECK(upgrade(h.httpPort(), {{"Host", "codestats.example.org"}, {"Origin", "http://codestats.example.org:8080"}}) ==
          403);
    CHECK(upgrade(h.httpPort(), {{"Host", "evil.example"}}) == 101);
  }
}

TEST_CASE("a duplicate join replaces the old one", "[channels]") {
  auto h = echoHost();
  WsClient ws(h.httpPort(), kSocket);
  ws.sendText(join("1", "room:a"));
  CHECK_THAT(ws.next().payload, Catch::Contains("phx_reply"));
  ws.sendText(join("5", "room:a"));
  CHECK(ws.next().payload == R"(["1","1","room:a","phx_close",{}])");
  CHECK_THAT(ws.next().payload, Catch::StartsWith(R"(["5","5","room:a","phx_reply",{"status":"ok")"));
  REQUIRE(h.request("POST", "/echo/broadcast?topic=room:a&event=e", "{}").status == 202);
  CHECK(ws.next().payload == R"([null,null,"room:a","e",{}])");
  CHECK(ws.next(300).opcode == 0);  // delivered once, not once per join
}

TEST_CASE("bad input gets an error reply or a close with the right code", "[channels]") {
  auto h = echoHost();
  auto closedWith = [&](auto send) {
    WsClient ws(h.httpPort(), kSocket);
    REQUIRE(ws.open());
    send(ws);
    for (;;) {
      WsFrame f = ws.next(10000);
      if (f.opcode == 8) return int(f.closeCode());
      if (f.opcode == 0) return 0;
    }
  };
  CHECK(closedWith([](WsClient& ws) { ws.sendText("this is not json"); }) == 1003);
  CHECK(closedWith([](WsClient& ws) { ws.sendText(R"(["1","1","room:a","phx_join"])"); }) == 1003);
  CHECK(closedWith([](WsClient& ws) { ws.sendText(R"({"topic":"room:a"})"); }) == 1003);
  CHECK(closedWith([](WsClient& ws) { ws.sendFrame(2, "binary"); }) == 1003);
  CHECK(closedWith([](WsClient& ws) { ws.sendText(std::string(70 * 1024, 'x')); }) == 1009);
  CHECK(closedWith([](WsClient& ws) { ws.sendText("\xff\xfe bad utf-8"); }) == 1007);
  CHECK(closedWith([](WsClient& ws) { ws.sendFrame(9, "", false); }) == 1002);  // fragmented ping
  CHECK(closedWith([](WsClient& ws) {
          try {  // the server may close while the flood is still being sent
            for (int i = 0; i < 2000; ++i) ws.sendText(join(std::to_string(i), "room:" + std::to_string(i)));
          } catch (const Poco::Exception&) {
          }
        }) == 1008);
  SECTION("a module that throws on an event gets an error reply, the socket lives on") {
    WsClient ws(h.httpPort(), kSocket);
    ws.sendText(join("1", "room:a"));
    ws.next();
    ws.sendText(R"(["1","2","room:a","boom",{}])");
    CHECK(ws.next().payload ==
          R"(["1","2","room:a","phx_reply",{"status":"error","response":{"reason":"event crashed"}}])");
    ws.sendText(R"(["1","3","room:a","nope",{}])");
    CHECK(ws.next().payload ==
          R"(["1","3","room:a","phx_reply",{"status":"error","response":{"reason":"unknown event"}}])");
  }
  SECTION("fragmented text messages are reassembled; pings are answered") {
    WsClient ws(h.httpPort(), kSocket);
    ws.sendFrame(1, R"([null,"1","phoe)", false);
    ws.sendFrame(9, "hi");  // a control frame between fragments
    ws.sendFrame(0, R"(nix","heartbeat",{}])");
    WsFrame pong = ws.next();
    CHECK(pong.opcode == 10);
    CHECK(pong.payload == "hi");
    CHECK(ws.next().payload == R"([null,"1","phoenix","phx_reply",{"status":"ok","response":{}}])");
  }
  SECTION("a socket that never completes the handshake does not hold anything up") {
    Poco::Net::StreamSocket half;
    half.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(h.httpPort())));
    std::string partial = "GET /live_update_socket/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websock";
    half.sendBytes(partial.data(), static_cast<int>(partial.size()));
    WsClient ws(h.httpPort(), kSocket);
    ws.sendText(R"([null,"1","phoenix","heartbeat",{}])");
    CHECK_THAT(ws.next().payload, Catch::Contains("phx_reply"));
  }
  CHECK(h.alive());
}

TEST_CASE("a client that stops reading is closed with 1013 and never blocks the others", "[channels]") {
  // Small queues and socket buffers so that "stops reading" shows within a few broadcasts.
  auto h = echoHost({"--set", "ws.max_queued_bytes=262144", "--set", "ws.send_buffer_bytes=16384"});
  WsClient slow(h.httpPort(), kSocket);
  WsClient fast(h.httpPort(), kSocket);
  slow.sendText(join("1", "room:a"));
  fast.sendText(join("1", "room:a"));
  REQUIRE_THAT(slow.next().payload, Catch::Contains("phx_reply"));
  REQUIRE_THAT(fast.next().payload, Catch::Contains("phx_reply"));
  slow.socket().setReceiveBufferSize(4096);  // the slow client reads nothing from here on
  std::string big = "{\"blob\":\"" + std::string(32 * 1024, 'z') + "\"}";
  int received = 0;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    REQUIRE(h.request("POST", "/echo/broadcast?topic=room:a&event=big", big).status == 202);
    if (fast.next(5000).opcode == 1) ++received;
  }
  CHECK(received == 100);  // the fast client got every broadcast
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  // the slow client, reading at last, finds its queue was cut off with 1013
  uint16_t code = 0;
  for (int i = 0; i < 200; ++i) {
    WsFrame f = slow.next(2000);
    INFO(f.payload.substr(0, 80));
    if (f.opcode == 0) break;
    if (f.opcode == 8) {
      code = f.closeCode();
      break;
    }
  }
  CHECK(code == 1013);
  CHECK_THAT(h.admin("GET", "/metrics").body, Catch::Contains("codestats_ws_queue_overflows_total"));
}

TEST_CASE("reloading the module that handles a topic keeps every socket and join", "[channels][reload]") {
  auto h = echoHost();
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<WsClient>(h.httpPort(), kSocket));
    clients.back()->sendText(join("1", "room:r"));
    REQUIRE_THAT(clients.back()->next().payload, Catch::Contains(R"("version":"v1")"));
  }
  for (int round = 0; round < 10; ++round) {
    std::string next = fixture(round % 2 ? "echo_v1" : "echo_v2");
    REQUIRE(h.admin("POST", "/admin/modules/echo/reload", R"({"artifact":")" + next + R"(","wait":true})").status ==
            200);
    REQUIRE(
        h.request("POST", "/echo/broadcast?topic=room:r&event=seq", "{\"n\":" + std::to_string(round) + "}").status ==
        202);
  }
  for (auto& c : clients) {
    for (int round = 0; round < 10; ++round)
      CHECK(c->next().payload == "[null,null,\"room:r\",\"seq\",{\"n\":" + std::to_string(round) + "}]");
    c->sendText(R"(["1","2","room:r","version",{}])");
    CHECK_THAT(c->next().payload, Catch::Contains(R"("version":"v1")"));  // 10 reloads: back on v1
    c->sendText(R"(["1","3","room:r","assigns",{}])");
    CHECK_THAT(c->next().payload, Catch::Contains(R"("assigns":{})"));  // the host kept the assigns
  }
}

TEST_CASE("200 sockets keep every new_pulse, in order, while channels and ingest reload", "[channels][reload]") {
  HostProcess h({"--set", "modules=web,ingest,channels", "--set", "log.level=warn"});
  std::string out;
  REQUIRE(h.ctl({"run", "web.create-user", "reloader"}, out) == 0);
  REQUIRE(h.ctl({"run", "web.create-machine", "reloader", "box"}, out) == 0);
  std::string apiToken = out.substr(0, out.find_last_not_of("\n ") + 1);

  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<WsClient>(h.httpPort(), kSocket));
    REQUIRE(clients.back()->open());
    clients.back()->sendText(join("1", i % 2 ? "frontpage" : "users:reloader"));
  }
  for (auto& c : clients) REQUIRE_THAT(c->next(10000).payload, Catch::Contains(R"("status":"ok")"));

  // The pulses are paced by the reloads, not by the clock: pulse i is posted only once
  // i * kReloads / pulses reloads have completed, so at least kReloads reloads (channels and
  // ingest in turn) overlap the posting on any machine. A machine that is merely slow waits
  // longer; only a reload that never completes fails, after a generous deadline.
  const int pulses = 60;
  constexpr int kReloads = 6;
  std::atomic<bool> posting{true};
  std::atomic<int> reloads{0}, reloadFailures{0};
  std::thread reloader([&] {
    for (int i = 0; posting; ++i) {
      std::string module = i % 2 ? "ingest" : "channels";
      auto r = h.admin("POST", "/admin/modules/" + module + "/reload", R"({"wait":true})");
      (r.status == 200 ? reloads : reloadFailures)++;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  auto awaitReloads = [&](int n) {
    while (reloads < n && reloadFailures == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return reloads >= n;
  };
  for (int i = 0; i < pulses; ++i) {
    if (!awaitReloads(i * kReloads / pulses)) break;
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    std::string body =
        std::string(R"({"coded_at":")") + ts + R"(","xps":[{"language":"L)" + std::to_string(i) + R"(","xp":1}]})";
    auto r =
        h.request("POST", "/api/my/pulses", body, {{"X-API-Token", apiToken}, {"Content-Type", "application/json"}});
    if (r.status != 201) {
      posting = false;
      reloader.join();
      FAIL("pulse " << i << ": " << r.status << " " << r.body);
    }
  }
  const bool reloaded = awaitReloads(kReloads);
  posting = false;
  reloader.join();
  INFO("reloads " << reloads << ", failed reloads " << reloadFailures);
  REQUIRE(reloadFailures == 0);
  REQUIRE(reloaded);  // else a reload was stuck for minutes

  for (size_t i = 0; i < clients.size(); ++i) {
    INFO("client " << i);
    for (int p = 0; p < pulses; ++p) {
      WsFrame f = clients[i]->next(10000);
      REQUIRE(f.opcode == 1);
      REQUIRE_THAT(f.payload,
                   Catch::Contains("\"new_pulse\"") && Catch::Contains("\"language\":\"L" + std::to_string(p) + "\""));
    }
    CHECK(clients[i]->next(200).opcode == 0);  // nothing twice, and no close
  }
}

TEST_CASE("frontpage new_pulse carries GeoIP coordinates, never for private users", "[channels][geoip]") {
  TempDir dir;
  std::string mmdb = dir.path() + "/test-city.mmdb";
  REQUIRE(std::system(("perl " CODESTATS_TEST_SOURCE_DIR "/tests/geoip/make-test-mmdb.pl " + mmdb).c_str()) == 0);
  HostProcess h({"--set", "modules=web,ingest,channels", "--set", "modules.channels.geoip_db=" + mmdb});
  std::string out, publicToken, privateToken;
  REQUIRE(h.ctl({"run", "web.create-user", "geo"}, out) == 0);
  REQUIRE(h.ctl({"run", "web.create-machine", "geo", "box"}, publicToken) == 0);
  REQUIRE(h.ctl({"run", "web.create-user", "hidden", "--private"}, out) == 0);
  REQUIRE(h.ctl({"run", "web.create-machine", "hidden", "box"}, privateToken) == 0);
  WsClient ws(h.httpPort(), kSocket);
  ws.sendText(join("1", "frontpage"));
  REQUIRE_THAT(ws.next().payload, Catch::Contains("xp_history"));

  auto post = [&](std::string token) {
    token.erase(token.find_last_not_of("\n ") + 1);
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    auto r = h.request("POST", "/api/my/pulses",
                       std::string(R"({"coded_at":")") + ts + R"(","xps":[{"language":"Go","xp":3}]})",
                       {{"X-API-Token", token}, {"Content-Type", "application/json"}});
    REQUIRE(r.status == 201);
    return ws.next().payload;
  };
  CHECK(
      post(publicToken) ==
      R"([null,null,"frontpage","new_pulse",{"xps":[{"language":"Go","amount":3}],"coords":{"lat":60.2,"lon":24.9}}])");
  CHECK(post(privateToken) ==
        R"([null,null,"frontpage","new_pulse",{"xps":[{"language":"Go","amount":3}],"coords":null}])");

  std::string err;
  int rc =
      runHostToExit({"--set", "var_dir=" + dir.path() + "/v2", "--set", "http.port=0", "--set", "admin.port=0", "--set",
                     "modules=web,ingest,channels", "--set", "modules.channels.geoip_db=/nonexistent.mmdb"},
                    err);
  CHECK(rc == 1);
  CHECK_THAT(err, Catch::Contains("cannot open GeoIP database '/nonexistent.mmdb'"));
}
