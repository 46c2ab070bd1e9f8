// channels_bench: N WebSocket clients joined to `frontpage` on one epoll thread, a steady
// rate of real pulses (POST /api/my/pulses), and the delivery latency of every new_pulse
// broadcast (the pulse carries its send time in its language name). Prints p50/p99
// latency, host RSS per idle connection and host CPU.
//
//   channels_bench --port P --admin-port A --admin-token T --host-pid PID
//                  [--sockets 10000] [--rate 20] [--seconds 20]
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

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

namespace {

using Clock = std::chrono::steady_clock;

int64_t nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

struct Args {
  int port = 0, adminPort = 0, hostPid = 0, sockets = 10000, rate = 20, seconds = 20;
  std::string token;
};

std::string adminRun(const Args& a, const std::string& command, const std::vector<std::string>& args) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(a.adminPort));
  Poco::JSON::Object body;
  Poco::JSON::Array list;
  for (auto& x : args) list.add(x);
  body.set("args", list);
  std::ostringstream os;
  body.stringify(os);
  Poco::Net::HTTPRequest req("POST", "/admin/commands/" + command, "HTTP/1.1");
  req.set("Authorization", "Bearer " + a.token);
  req.setContentType("application/json");
  req.setContentLength(static_cast<std::streamsize>(os.str().size()));
  s.sendRequest(req) << os.str();
  Poco::Net::HTTPResponse resp;
  std::string out;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), out);
  auto o = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
  std::string text = o->optValue<std::string>("output", "");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

long rssKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

double cpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  size_t close = s.rfind(')');
  std::vector<std::string> f;
  size_t pos = close + 2;
  while (pos < s.size()) {
    size_t sp = s.find(' ', pos);
    f.push_back(s.substr(pos, sp - pos));
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Conn {
  int fd = -1;
  std::string in;
  bool upgraded = false, joined = false;
};

std::string maskedText(const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x81));
  f.push_back(static_cast<char>(0x80 | payload.size()));  // payloads here are < 126 bytes
  f.append("\x01\x02\x03\x04", 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ ("\x01\x02\x03\x04")[i & 3]));
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") a.port = std::stoi(v);
    else if (k == "--admin-port") a.adminPort = std::stoi(v);
    else if (k == "--admin-token") a.token = v;
    else if (k == "--host-pid") a.hostPid = std::stoi(v);
    else if (k == "--sockets") a.sockets = std::stoi(v);
    else if (k == "--rate") a.rate = std::stoi(v);
    else if (k == "--seconds") a.seconds = std::stoi(v);
  }
  std::string user = "bench" + std::to_string(getpid());
  adminRun(a, "web.create-user", {user});
  std::string apiToken = adminRun(a, "web.create-machine", {user, "box"});

  long rssBefore = rssKb(a.hostPid);
  int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<size_t>(a.sockets));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(a.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string handshake =
      "GET /live_update_socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const std::string joinFrame = maskedText(R"(["1","1","frontpage","phx_join",{}])");
  auto t0 = Clock::now();
  for (size_t i = 0; i < conns.size(); ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::fprintf(stderr, "connect %zu failed: %s\n", i, std::strerror(errno));
      return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (send(fd, handshake.data(), handshake.size(), 0) != static_cast<ssize_t>(handshake.size())) return 1;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    conns[i].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }

  std::vector<double> latMs;
  size_t joined = 0, closed = 0;
  long delivered = 0;
  std::atomic<bool> posting{false}, stop{false};
  std::atomic<long> posted{0}, postFailures{0};
  char buf[65536];
  auto pump = [&](int timeoutMs) {
    epoll_event evs[512];
    int n = epoll_wait(ep, evs, 512, timeoutMs);
    for (int k = 0; k < n; ++k) {
      Conn& c = conns[evs[k].data.u64];
      for (;;) {
        ssize_t r = recv(c.fd, buf, sizeof buf, 0);
        if (r == 0) {
          ++closed;
          epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
          break;
        }
        if (r < 0) break;
        c.in.append(buf, static_cast<size_t>(r));
      }
      if (!c.upgraded) {
        size_t end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        c.upgraded = c.in.compare(9, 3, "101") == 0;
        c.in.erase(0, end + 4);
        if (c.upgraded) send(c.fd, joinFrame.data(), joinFrame.size(), 0);
      }
      // server frames are unmasked
      while (c.in.size() >= 2) {
        auto* p = reinterpret_cast<const unsigned char*>(c.in.data());
        size_t len = p[1] & 0x7F, hdr = 2;
        if (len == 126) {
          if (c.in.size() < 4) break;
          len = (size_t(p[2]) << 8) | p[3];
          hdr = 4;
        } else if (len == 127) {
          break;  // not used by this benchmark's messages
        }
        if (c.in.size() < hdr + len) break;
        std::string_view msg(c.in.data() + hdr, len);
        if (!c.joined && msg.find("phx_reply") != std::string_view::npos) {
          c.joined = true;
          ++joined;
        } else if (msg.find("new_pulse") != std::string_view::npos) {
          size_t t = msg.find("\"language\":\"t");
          if (t != std::string_view::npos) {
            int64_t sent = std::atoll(std::string(msg.substr(t + 13, 20)).c_str());
            latMs.push_back(static_cast<double>(nowUs() - sent) / 1000.0);
            ++delivered;
          }
        }
        c.in.erase(0, hdr + len);
      }
    }
  };
  while (joined + closed < conns.size() && Clock::now() - t0 < std::chrono::seconds(120)) pump(100);
  double connectS = std::chrono::duration<double>(Clock::now() - t0).count();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  long rssIdle = rssKb(a.hostPid);
  std::printf("sockets=%d joined=%zu closed=%zu connect+join=%.1fs\n", a.sockets, joined, closed, connectS);
  std::printf("host_rss_before_kb=%ld host_rss_idle_kb=%ld rss_per_connection_bytes=%.0f\n", rssBefore, rssIdle,
              joined ? (rssIdle - rssBefore) * 1024.0 / static_cast<double>(joined) : 0.0);

  std::thread poster([&] {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(a.port));
    auto next = Clock::now();
    while (!stop) {
      next += std::chrono::microseconds(1000000 / std::max(1, a.rate));
      std::this_thread::sleep_until(next);
      auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
      char ts[32];
      std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
      std::string body = std::string(R"({"coded_at":")") + ts + R"(","xps":[{"language":"t)" + std::to_string(nowUs()) +
                         R"(","xp":1}]})";
      try {
        Poco::Net::HTTPRequest req("POST", "/api/my/pulses", "HTTP/1.1");
        req.set("X-API-Token", apiToken);
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        s.sendRequest(req) << body;
        Poco::Net::HTTPResponse resp;
        std::string out;
        Poco::StreamCopier::copyToString(s.receiveResponse(resp), out);
        (resp.getStatus() == 201 ? posted : postFailures)++;
      } catch (...) {
        postFailures++;
        s.reset();
      }
    }
  });
  double cpu0 = cpuSeconds(a.hostPid);
  auto steady0 = Clock::now();
  while (Clock::now() - steady0 < std::chrono::seconds(a.seconds)) pump(50);
  stop = true;
  poster.join();
  auto drainEnd = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < drainEnd) pump(50);
  double cpu = (cpuSeconds(a.hostPid) - cpu0) / std::chrono::duration<double>(Clock::now() - steady0).count();

  std::sort(latMs.begin(), latMs.end());
  auto pct = [&](double p) {
    return latMs.empty() ? 0.0 : latMs[std::min(latMs.size() - 1, size_t(p * latMs.size()))];
  };
  long expected = posted * static_cast<long>(joined);
  std::printf("pulses_posted=%ld post_failures=%ld deliveries=%ld expected=%ld closed_during_run=%zu\n", posted.load(),
              postFailures.load(), delivered, expected, closed);
  std::printf("delivery_latency_ms p50=%.1f p99=%.1f max=%.1f\n", pct(0.50), pct(0.99), pct(1.0));
  std::printf("host_cpu=%.0f%% of one core (steady phase, %d pulses/s to %zu sockets)\n", cpu * 100, a.rate, joined);
  bool ok = joined == conns.size() && delivered == expected && postFailures == 0 && pct(0.99) < 250 &&
            (rssIdle - rssBefore) * 1024.0 / std::max<size_t>(1, joined) < 20 * 1024;
  std::printf("%s\n", ok ? "PASS" : "OVER BUDGET OR INCOMPLETE");
  return ok ? 0 : 1;
}
