// ingest_bench: load generator for POST /api/my/pulses (issue 3 budgets).
// Creates USERS users with 2 machines each through the admin API (web.create-user,
// web.create-machine), then runs CONNECTIONS keep-alive connections, each posting
// realistic pulses (1-5 languages, a random token of the 2*USERS) as fast as answers come,
// one request in flight per connection (no pipelining), for SECONDS.
// Prints pulses/s, p50 and p99 latency, and the count of non-201 answers; then the ingest
// module's group-commit phase counters over the same window (from the admin /metrics).
//
// The load generator shares the machine's cores with the server, so it is cheap on
// purpose: the connections are sockets driven by CLIENT_THREADS epoll loops
// (default 1), and the requests are pre-built (4096 distinct HTTP/1.1 requests, made
// before the run) and sent with one send() each; answers are parsed just enough for the
// status and Content-Length. Latency is measured from the send to the end of the answer.
//
//   ingest_bench --port P --admin-port A --admin-token T [--users 1000] [--connections 64]
//                [--seconds 10] [--warmup 2] [--client-threads 1]
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string adminRun(int port, const std::string& token, const std::string& command,
                     const std::vector<std::string>& args) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  std::string body = "{\"args\":[";
  for (size_t i = 0; i < args.size(); ++i) body += (i ? ",\"" : "\"") + args[i] + "\"";
  body += "]}";
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/admin/commands/" + command,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", "Bearer " + token);
  req.setContentType("application/json");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::string out;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), out);
  if (resp.getStatus() != 200) throw std::runtime_error(command + " failed: " + out);
  auto o = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
  std::string r = o->getValue<std::string>("output");
  while (!r.empty() && r.back() == '\n') r.pop_back();
  return r;
}

// The ingest module's counters from the admin /metrics: counter name -> value.
std::map<std::string, double> ingestCounters(int port, const std::string& token) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/metrics", Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", "Bearer " + token);
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::string text;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), text);
  std::map<std::string, double> out;
  const std::string prefix = "codestats_module_counter_total{";
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0 || line.find("module=\"ingest\"") == std::string::npos) continue;
    size_t c = line.find("counter=\"");
    size_t close = line.find('}');
    if (c == std::string::npos || close == std::string::npos) continue;
    c += 9;
    out[line.substr(c, line.find('"', c) - c)] = std::atof(line.c_str() + close + 1);
  }
  return out;
}

// Where a pulse's time went inside the group commit, over the measured window.
void printPhases(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  auto d = [&](const char* k) {
    auto x = b.find(k), y = a.find(k);
    return (x == b.end() ? 0.0 : x->second) - (y == a.end() ? 0.0 : y->second);
  };
  double batches = d("batches"), pulses = d("pulses");
  if (batches <= 0 || pulses <= 0) return;
  std::printf(
      "phases: batches=%.0f mean_batch=%.1f begin_ms=%.3f exec_ms=%.3f "
      "commit_ms=%.3f tx_cpu_ms=%.3f (per batch)\n",
      batches, pulses / batches, d("batch_begin_us") / batches / 1000, d("batch_exec_us") / batches / 1000,
      d("batch_commit_us") / batches / 1000, d("batch_tx_cpu_us") / batches / 1000);
}

std::string codedAt(std::mt19937& rng) {
  static const int kOffsets[] = {0, 60, 120, 180, -300, -240, 330, 540, -420};
  int offset = kOffsets[rng() % 9];
  std::time_t t = std::time(nullptr) - static_cast<int>(rng() % 3600) + offset * 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  int a = std::abs(offset);
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

std::string pulseBody(std::mt19937& rng) {
  static const char* kLangs[] = {"C++",  "Python", "JavaScript", "TypeScript", "Rust", "Go",     "Elixir", "Markdown",
                                 "JSON", "Shell",  "HTML",       "CSS",        "Java", "Kotlin", "SQL",    "YAML"};
  int n = 1 + static_cast<int>(rng() % 5);
  std::string body = "{\"coded_at\":\"" + codedAt(rng) + "\",\"xps\":[";
  for (int i = 0; i < n; ++i) {
    body += std::string(i ? "," : "") + "{\"language\":\"" + kLangs[rng() % 16] +
            "\",\"xp\":" + std::to_string(1 + rng() % 40) + "}";
  }
  return body + "]}";
}

struct Conn {
  int fd = -1;
  size_t request = 0;  // index into the pre-built requests
  size_t sent = 0;     // bytes of the request sent
  std::string in;      // the answer so far
  Clock::time_point start;
};

int connectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect failed");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Length of a complete answer at the start of `in` (0: incomplete; SIZE_MAX: malformed),
// and its status code.
size_t answerLength(const std::string& in, int& status) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  if (in.size() < 12 || in.compare(0, 5, "HTTP/") != 0) return SIZE_MAX;
  status = std::atoi(in.c_str() + 9);
  size_t length = 0;
  for (size_t pos = in.find("\r\n"); pos < end; pos = in.find("\r\n", pos + 2)) {
    static constexpr char kName[] = "content-length:";
    size_t n = sizeof kName - 1;
    if (pos + 2 + n > end) continue;
    bool match = true;
    for (size_t k = 0; k < n && match; ++k)
      match = std::tolower(static_cast<unsigned char>(in[pos + 2 + k])) == kName[k];
    if (match) length = static_cast<size_t>(std::strtoull(in.c_str() + pos + 2 + n, nullptr, 10));
  }
  return in.size() >= end + 4 + length ? end + 4 + length : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, adminPort = 0, users = 1000, connections = 64, seconds = 10, warmup = 2, clientThreads = 1;
  std::string adminToken, userPrefix = "bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = std::stoi(v);
    else if (k == "--admin-port") adminPort = std::stoi(v);
    else if (k == "--admin-token") adminToken = v;
    else if (k == "--users") users = std::stoi(v);
    else if (k == "--connections") connections = std::stoi(v);
    else if (k == "--seconds") seconds = std::stoi(v);
    else if (k == "--warmup") warmup = std::stoi(v);
    else if (k == "--client-threads") clientThreads = std::max(1, std::stoi(v));
    else if (k == "--user-prefix") userPrefix = v;  // another run against the same host
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (!port || !adminPort || adminToken.empty()) {
    std::cerr << "usage: ingest_bench --port P --admin-port A --admin-token T [--users N] [--connections C] "
                 "[--seconds S] [--warmup W] [--client-threads T] [--user-prefix P]\n";
    return 2;
  }

  auto t0 = Clock::now();
  std::vector<std::string> tokens;
  for (int u = 0; u < users; ++u) {
    std::string name = userPrefix + std::to_string(u);
    adminRun(adminPort, adminToken, "web.create-user", {name});
    tokens.push_back(adminRun(adminPort, adminToken, "web.create-machine", {name, "laptop"}));
    tokens.push_back(adminRun(adminPort, adminToken, "web.create-machine", {name, "desktop"}));
  }
  std::fprintf(stderr, "created %d users x 2 machines in %.1f s\n", users,
               std::chrono::duration<double>(Clock::now() - t0).count());

  // Pre-built requests: random token and body each.
  std::vector<std::string> requests;
  {
    std::mt19937 rng(12345);
    for (int i = 0; i < 4096; ++i) {
      const std::string& token = tokens[rng() % tokens.size()];
      std::string body = pulseBody(rng);
      requests.push_back(
          "POST /api/my/pulses HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nX-API-Token: " + token +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  }

  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(clientThreads));  // microseconds
  std::vector<std::thread> threads;
  for (int c = 0; c < clientThreads; ++c) {
    int mineCount = connections / clientThreads + (c < connections % clientThreads ? 1 : 0);
    threads.emplace_back([&, c, mineCount] {
      std::mt19937 rng(static_cast<unsigned>(c * 7919 + 1));
      auto& mine = lat[static_cast<size_t>(c)];
      mine.reserve(2000000);
      int ep = ::epoll_create1(0);
      std::vector<Conn> conns(static_cast<size_t>(mineCount));
      // Sends the connection's request (blocking: a few hundred bytes into an idle
      // socket's buffer); false on a dead connection.
      auto pump = [&](Conn& k) {
        const std::string& r = requests[k.request];
        while (k.sent < r.size()) {
          ssize_t n = ::send(k.fd, r.data() + k.sent, r.size() - k.sent, MSG_NOSIGNAL);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) return false;
          k.sent += static_cast<size_t>(n);
        }
        return true;
      };
      auto begin = [&](Conn& k) {
        k.request = rng() % requests.size();
        k.sent = 0;
        k.in.clear();
        k.start = Clock::now();
        return pump(k);
      };
      auto open = [&](size_t i) {
        Conn& k = conns[i];
        if (k.fd >= 0) ::close(k.fd);
        k.fd = connectTo(port);
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.u64 = i;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, k.fd, &e);
        if (!begin(k)) throw std::runtime_error("send failed");
      };
      for (size_t i = 0; i < conns.size(); ++i) open(i);
      epoll_event events[256];
      char buf[16384];
      while (!stop) {
        int n = ::epoll_wait(ep, events, 256, 100);
        for (int e = 0; e < n; ++e) {
          size_t i = events[e].data.u64;
          Conn& k = conns[i];
          bool dead = false;
          for (;;) {
            ssize_t got = ::recv(k.fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got > 0) {
              k.in.append(buf, static_cast<size_t>(got));
              if (static_cast<size_t>(got) < sizeof buf) break;
              continue;
            }
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            dead = true;
            break;
          }
          int status = 0;
          size_t len = dead ? SIZE_MAX : answerLength(k.in, status);
          if (len == 0) continue;
          bool ok = len != SIZE_MAX && status == 201 && len == k.in.size();
          if (!ok) ++errors;
          if (measuring)
            mine.push_back(static_cast<uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - k.start).count()));
          if (!ok || stop) {
            if (!stop) open(i);
            continue;
          }
          if (!begin(k)) {
            ++errors;
            open(i);
          }
        }
      }
      for (auto& k : conns)
        if (k.fd >= 0) ::close(k.fd);
      ::close(ep);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(warmup));
  long errorsBefore = errors;
  auto countersBefore = ingestCounters(adminPort, adminToken);
  measuring = true;
  auto m0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  measuring = false;
  auto countersAfter = ingestCounters(adminPort, adminToken);
  double elapsed = std::chrono::duration<double>(Clock::now() - m0).count();
  stop = true;
  for (auto& t : threads) t.join();

  std::vector<uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))] / 1000.0;
  };
  std::printf("pulses=%zu seconds=%.2f pulses_per_s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%ld\n", all.size(), elapsed,
              all.size() / elapsed, pct(0.50), pct(0.99), errors - errorsBefore);
  printPhases(countersBefore, countersAfter);
  return errors - errorsBefore == 0 ? 0 : 1;
}
