// Moving established WebSockets from one ChannelHub to another (issue #19, the hub's part):
// two hosts built in this process (in_process_host.hpp), each with its own modules, workers
// and metrics; real clients over loopback. ChannelHub::detachAll on the old one, adopt() of
// every descriptor on the new one, then what the client sees: no close, no EOF, its joins,
// its unsent frames and its half-sent message carried over. On every DB backend.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "in_process_host.hpp"
#include "ws/socket_handover.hpp"
#include "ws/web_socket_codec.hpp"
#include "ws_client.hpp"

using namespace codestats::test;
namespace ws = codestats::host::ws;

namespace {

// The channels module (users:NAME, socket tokens) and the echo fixture (room:*: pushes that
// answer with the socket's identity and the join's assigns, a call that holds).
std::vector<std::string> withModules(std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"modules=web,ingest,channels,echo", "modules.echo.artifact=" + fixture("echo_v1")});
  return extra;
}

std::string join(const std::string& ref, const std::string& topic, const std::string& payload = "{}") {
  return "[\"" + ref + "\",\"" + ref + "\",\"" + topic + "\",\"phx_join\"," + payload + "]";
}

// detachAll on `from`, adopt() of each socket on `to`; the states, for tests that look inside.
std::vector<ws::SocketState> handOver(InProcessHost& from, InProcessHost& to,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::vector<ws::SocketState> states;
  for (auto& d : from.hub().detachAll(timeout)) {
    auto s = ws::decodeSocketState(d.state);
    REQUIRE(s);
    states.push_back(*s);
    REQUIRE(to.hub().adopt(d.fd, d.state));
  }
  return states;
}

// The next frame that is not a text frame: a close, or nothing (0).
WsFrame nextNonText(WsClient& c) {
  for (;;) {
    WsFrame f = c.next();
    if (f.opcode != 1) return f;
  }
}

bool hasMetric(const std::string& metrics, const std::string& line) {
  return metrics.find("\n" + line + "\n") != std::string::npos || metrics.rfind(line + "\n", 0) == 0;
}

}  // namespace

TEST_CASE("V1 and V2 sockets move to another hub without seeing a close", "[channels][handover]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      InProcessHost a(backend, withModules());
      InProcessHost b(backend, withModules());
      a.run("web.create-user", {"alice"});
      const std::string token = a.run("channels.socket-token", {"alice"});

      WsClient v2(a.httpPort(), "/live_update_socket/websocket?vsn=2.0.0&token=" + token);
      WsClient v1(a.httpPort(), "/live_update_socket/websocket?vsn=1.0.0");
      REQUIRE(v2.open());
      REQUIRE(v1.open());
      v2.sendText(join("3", "users:alice"));
      CHECK(v2.next().payload == R"(["3","3","users:alice","phx_reply",{"status":"ok","response":{}}])");
      v2.sendText(join("4", "room:a", R"({"k":1})"));
      CHECK_THAT(v2.next().payload, Catch::StartsWith(R"(["4","4","room:a","phx_reply",{"status":"ok")"));
      v1.sendText(R"({"topic":"users:alice","event":"phx_join","payload":{},"ref":"7"})");
      CHECK(v1.next().payload ==
            R"({"topic":"users:alice","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"7"})");
      v1.sendText(R"({"topic":"room:b","event":"phx_join","payload":{"v":1},"ref":"8"})");
      CHECK_THAT(v1.next().payload, Catch::Contains(R"("status":"ok")"));

      auto states = handOver(a, b);
      REQUIRE(states.size() == 2);
      CHECK(a.hub().connections() == 0);
      CHECK(b.hub().connections() == 2);

      // the old hub's broadcasts reach nobody; the new hub's reach both, each in its format
      a.hub().broadcast("users:alice", "new_pulse", R"({"from":"a"})");
      b.hub().broadcast("users:alice", "new_pulse", R"({"from":"b"})");
      CHECK(v2.next().payload == R"([null,null,"users:alice","new_pulse",{"from":"b"}])");
      CHECK(v1.next().payload == R"({"topic":"users:alice","event":"new_pulse","payload":{"from":"b"},"ref":null})");

      // heartbeats, and pushes that reach the module through the new hub with the socket's
      // identity and the join's assigns
      v2.sendText(R"([null,"11","phoenix","heartbeat",{}])");
      CHECK(v2.next().payload == R"([null,"11","phoenix","phx_reply",{"status":"ok","response":{}}])");
      v1.sendText(R"({"topic":"phoenix","event":"heartbeat","payload":{},"ref":"12"})");
      CHECK(v1.next().payload ==
            R"({"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"12"})");
      v2.sendText(R"(["4","13","room:a","assigns",{}])");
      CHECK(v2.next().payload == R"(["4","13","room:a","phx_reply",{"status":"ok","response":{"assigns":{"k":1}}}])");
      v2.sendText(R"(["4","14","room:a","whoami",{}])");
      CHECK(v2.next().payload == R"(["4","14","room:a","phx_reply",{"status":"ok","response":{"identity":"alice"}}])");
      v1.sendText(R"({"topic":"room:b","event":"echo","payload":{"x":1},"ref":"15"})");
      CHECK(v1.next().payload ==
            R"({"topic":"room:b","event":"phx_reply","payload":{"status":"ok","response":{"x":1}},"ref":"15"})");
      // a leave on the new hub closes the join with its original join ref
      v2.sendText(R"(["4","16","room:a","phx_leave",{}])");
      CHECK(v2.next().payload == R"(["4","16","room:a","phx_reply",{"status":"ok","response":{}}])");
      CHECK(v2.next().payload == R"(["4","4","room:a","phx_close",{}])");
      CHECK(b.kv().get("echo", "leaves") == "1");
      CHECK_FALSE(a.kv().get("echo", "leaves"));  // the old host saw no leave: the joins moved

      CHECK(v1.next(300).opcode == 0);  // nothing else: no close, no EOF
      CHECK(v2.next(300).opcode == 0);
      CHECK(hasMetric(a.metrics(), "codestats_ws_detached_total 2"));
      CHECK(hasMetric(a.metrics(), "codestats_ws_handover_closed_total 0"));
      CHECK(hasMetric(b.metrics(), "codestats_ws_adopted_total 2"));

      // the old hub takes no new sockets
      int status = 0;
      std::string response;
      WsClient late(a.httpPort(), "/live_update_socket/websocket?vsn=2.0.0", {}, &status, &response);
      CHECK(status == 503);
      CHECK_THAT(response, Catch::Contains(R"({"error":"shutting down"})"));
    }
  }
}

TEST_CASE("output a client has not read yet moves, every frame once and in order", "[channels][handover]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      // A small kernel send buffer, so most of what the client does not read waits in the
      // hub's queue.
      InProcessHost a(backend, withModules({"ws.send_buffer_bytes=16384"}));
      InProcessHost b(backend, withModules());
      WsClient slow(a.httpPort(), "/live_update_socket/websocket?vsn=2.0.0");
      slow.sendText(join("1", "room:q"));
      REQUIRE_THAT(slow.next().payload, Catch::Contains(R"("status":"ok")"));
      slow.socket().setReceiveBufferSize(4096);  // reads nothing from here on

      const std::string pad(8000, 'p');
      const int before = 80, after = 10;  // 80 x 8 KB: well past the kernel's buffers
      for (int i = 0; i < before; ++i)
        a.hub().broadcast("room:q", "seq", "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}");
      auto states = handOver(a, b);
      REQUIRE(states.size() == 1);
      INFO("unsent bytes moved: " << states[0].unsentOutput.size());
      REQUIRE(states[0].unsentOutput.size() > 100 * 1000);
      for (int i = before; i < before + after; ++i)
        b.hub().broadcast("room:q", "seq", "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}");

      for (int i = 0; i < before + after; ++i) {
        WsFrame f = slow.next();
        INFO("frame " << i << ": " << f.payload.substr(0, 60));
        REQUIRE(f.opcode == 1);
        REQUIRE(f.payload ==
                "[null,null,\"room:q\",\"seq\",{\"n\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}]");
      }
      CHECK(slow.next(300).opcode == 0);
      slow.sendText(R"([null,"2","phoenix","heartbeat",{}])");
      CHECK(slow.next().payload == R"([null,"2","phoenix","phx_reply",{"status":"ok","response":{}}])");
    }
  }
}

TEST_CASE("moved output larger than the new hub's queue is sent whole before its 1013", "[channels][handover]") {
  // The moved output may begin inside a frame: a queue overflow on the new hub must not cut it.
  InProcessHost a("sqlite", withModules({"ws.send_buffer_bytes=16384"}));
  InProcessHost b("sqlite", withModules({"ws.max_queued_bytes=65536"}));
  WsClient slow(a.httpPort(), "/live_update_socket/websocket?vsn=2.0.0");
  slow.sendText(join("1", "room:o"));
  REQUIRE_THAT(slow.next().payload, Catch::Contains(R"("status":"ok")"));
  slow.socket().setReceiveBufferSize(4096);
  const std::string pad(8000, 'p');
  for (int i = 0; i < 80; ++i)
    a.hub().broadcast("room:o", "seq", "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}");
  auto states = handOver(a, b);
  REQUIRE(states.size() == 1);
  REQUIRE(states[0].unsentOutput.size() > 65536);
  b.hub().broadcast("room:o", "seq", R"({"n":"overflows"})");

  for (int i = 0; i < 80; ++i) {
    WsFrame f = slow.next();
    INFO("frame " << i << ": " << f.payload.substr(0, 60));
    REQUIRE(f.opcode == 1);
    REQUIRE(f.payload == "[null,null,\"room:o\",\"seq\",{\"n\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}]");
  }
  WsFrame closed = slow.next();
  CHECK(closed.opcode == 8);
  CHECK(closed.closeCode() == 1013);
}

TEST_CASE("a message half sent before the move is completed and answered by the new hub", "[channels][handover]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      InProcessHost a(backend, withModules());
      InProcessHost b(backend, withModules());
      WsClient c(a.httpPort(), "/live_update_socket/websocket?vsn=2.0.0");
      c.sendText(join("1", "room:h"));
      REQUIRE_THAT(c.next().payload, Catch::Contains(R"("status":"ok")"));

      // A message in two fragments, the second one cut in half. The ping between the
      // fragments is answered only once the old hub has decoded the first fragment.
      const std::string message = R"(["1","2","room:h","echo",{"said":"in two hubs"}])";
      const std::string second = maskedClientFrame(0, message.substr(20));
      c.sendRaw(maskedClientFrame(1, message.substr(0, 20), false) + maskedClientFrame(9, "p") + second.substr(0, 9));
      WsFrame pong = c.next();
      REQUIRE(pong.opcode == 10);

      auto states = handOver(a, b);
      REQUIRE(states.size() == 1);
      CHECK_FALSE(states[0].partialInput.empty());
      c.sendRaw(second.substr(9));
      CHECK(c.next().payload == R"(["1","2","room:h","phx_reply",{"status":"ok","response":{"said":"in two hubs"}}])");
      CHECK(c.next(300).opcode == 0);
    }
  }
}

TEST_CASE("sockets move while broadcasts and client messages are in flight", "[channels][handover]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      InProcessHost a(backend, withModules());
      InProcessHost b(backend, withModules());
      const int clients = 20, pushes = 10;
      std::vector<std::unique_ptr<WsClient>> cs;
      for (int i = 0; i < clients; ++i) {
        cs.push_back(std::make_unique<WsClient>(a.httpPort(), "/live_update_socket/websocket?vsn=2.0.0"));
        cs.back()->sendText(join("1", "room:c"));
        REQUIRE_THAT(cs.back()->next().payload, Catch::Contains(R"("status":"ok")"));
      }
      // The old hub broadcasts without pause from another thread, and every client has
      // messages in flight, while the sockets are detached.
      std::atomic<bool> broadcasting{true};
      std::atomic<int> sent{0};
      std::thread broadcaster([&] {
        // at most 3000 frames of ~40 bytes: within a socket's send queue (ws.max_queued_bytes)
        for (int n = 0; broadcasting && n < 3000; ++n) {
          a.hub().broadcast("room:c", "seq", "{\"n\":" + std::to_string(n) + "}");
          sent = n + 1;
          std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
      });
      while (sent < 50) std::this_thread::yield();
      for (auto& c : cs)
        for (int p = 0; p < pushes; ++p)
          c->sendText(R"(["1",")" + std::to_string(100 + p) + R"(","room:c","echo",{"p":)" + std::to_string(p) + "}]");
      auto states = handOver(a, b);
      broadcasting = false;
      broadcaster.join();
      REQUIRE(states.size() == static_cast<size_t>(clients));
      b.hub().broadcast("room:c", "seq", R"({"n":"from b"})");

      for (int i = 0; i < clients; ++i) {
        INFO("client " << i);
        int nextSeq = 0, nextPush = 0;
        bool fromB = false;
        while (!fromB || nextPush < pushes) {
          WsFrame f = cs[i]->next();
          REQUIRE(f.opcode == 1);
          if (f.payload == R"([null,null,"room:c","seq",{"n":"from b"}])") {
            REQUIRE_FALSE(fromB);
            fromB = true;
          } else if (f.payload.find("phx_reply") != std::string::npos) {
            // messages still in the kernel at the move are answered by the new hub, maybe
            // after its broadcast
            REQUIRE(f.payload == R"(["1",")" + std::to_string(100 + nextPush) +
                                     R"(","room:c","phx_reply",{"status":"ok","response":{"p":)" +
                                     std::to_string(nextPush) + "}}]");
            ++nextPush;
          } else {  // the old hub's broadcasts: a gapless prefix, whatever was queued before the move
            REQUIRE_FALSE(fromB);
            REQUIRE(f.payload == "[null,null,\"room:c\",\"seq\",{\"n\":" + std::to_string(nextSeq) + "}]");
            ++nextSeq;
          }
        }
        CHECK(nextPush == pushes);  // every message answered once, by one hub or the other
        CHECK(nextSeq >= 50);
        CHECK(cs[i]->next(200).opcode == 0);
      }
    }
  }
}

TEST_CASE("a socket whose module call does not finish in time gets 1012 and stays behind", "[channels][handover]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      InProcessHost a(backend, withModules());
      InProcessHost b(backend, withModules());
      WsClient busy(a.httpPort(), "/live_update_socket/websocket?vsn=2.0.0");
      WsClient quiet(a.httpPort(), "/live_update_socket/websocket?vsn=1.0.0");
      busy.sendText(join("1", "room:x"));
      quiet.sendText(R"({"topic":"room:y","event":"phx_join","payload":{},"ref":"1"})");
      REQUIRE_THAT(busy.next().payload, Catch::Contains(R"("status":"ok")"));
      REQUIRE_THAT(quiet.next().payload, Catch::Contains(R"("status":"ok")"));

      busy.sendText(R"(["1","2","room:x","hold",{}])");
      for (int i = 0; i < 2000 && a.kv().get("echo", "holding") != "1"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      REQUIRE(a.kv().get("echo", "holding") == "1");  // the module call is running

      auto states = handOver(a, b, std::chrono::milliseconds(200));
      a.kv().put("echo", "release", "1", 0);
      REQUIRE(states.size() == 1);
      CHECK(states[0].serializer == ws::Serializer::V1);
      CHECK(states[0].joins.at(0).topic == "room:y");

      WsFrame closed = nextNonText(busy);
      CHECK(closed.opcode == 8);
      CHECK(closed.closeCode() == 1012);
      CHECK(hasMetric(a.metrics(), "codestats_ws_handover_closed_total 1"));
      CHECK(hasMetric(a.metrics(), "codestats_ws_detached_total 1"));

      quiet.sendText(R"({"topic":"room:y","event":"echo","payload":{"still":"here"},"ref":"2"})");
      CHECK(
          quiet.next().payload ==
          R"({"topic":"room:y","event":"phx_reply","payload":{"status":"ok","response":{"still":"here"}},"ref":"2"})");
    }
  }
}

TEST_CASE("a socket that is already closing is not moved: its close goes on", "[channels][handover]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      // A client that stops reading overflows its small queue: closing, with 1013 queued.
      InProcessHost a(backend, withModules({"ws.max_queued_bytes=65536", "ws.send_buffer_bytes=16384"}));
      InProcessHost b(backend, withModules());
      WsClient slow(a.httpPort(), "/live_update_socket/websocket?vsn=2.0.0");
      slow.sendText(join("1", "room:s"));
      REQUIRE_THAT(slow.next().payload, Catch::Contains(R"("status":"ok")"));
      slow.socket().setReceiveBufferSize(4096);
      const std::string pad(8000, 'p');
      for (int i = 0; i < 80 && !hasMetric(a.metrics(), "codestats_ws_queue_overflows_total 1"); ++i)
        a.hub().broadcast("room:s", "big", "{\"pad\":\"" + pad + "\"}");
      REQUIRE(hasMetric(a.metrics(), "codestats_ws_queue_overflows_total 1"));

      CHECK(handOver(a, b).empty());
      CHECK(hasMetric(a.metrics(), "codestats_ws_handover_closed_total 1"));
      CHECK(b.hub().connections() == 0);
      WsFrame closed = nextNonText(slow);
      CHECK(closed.opcode == 8);
      CHECK(closed.closeCode() == 1013);
    }
  }
}

TEST_CASE("adopt refuses a state it cannot read: close 1011, descriptor closed", "[channels][handover]") {
  InProcessHost b("sqlite", withModules());
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  CHECK_FALSE(b.hub().adopt(pair[0], "garbage"));
  std::string got;
  char buf[256];
  for (ssize_t n; (n = ::recv(pair[1], buf, sizeof buf, 0)) > 0;) got.append(buf, static_cast<size_t>(n));
  CHECK(got == ws::encodeClose(ws::kInternalError, "bad handover state"));  // then EOF: the hub closed it
  ::close(pair[1]);

  int fds[2];
  REQUIRE(::pipe(fds) == 0);  // not a socket, however good the state
  CHECK_FALSE(b.hub().adopt(fds[0], ws::encodeSocketState(ws::SocketState{})));
  CHECK(::fcntl(fds[0], F_GETFD) == -1);  // closed
  ::close(fds[1]);
  CHECK(b.hub().connections() == 0);
  CHECK(hasMetric(b.metrics(), "codestats_ws_handover_closed_total 2"));
  CHECK(hasMetric(b.metrics(), "codestats_ws_adopted_total 0"));
}
