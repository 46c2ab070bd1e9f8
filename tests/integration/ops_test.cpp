// Operations against a real host (issue 9): /healthz and /readyz, Prometheus metrics per
// route and module version, JSON log lines, request logging without secrets, security
// headers and cookie flags on module responses, request-size limits and slow-client
// deadlines, and the admin token file's permissions.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "backends.hpp"
#include "ops_helpers.hpp"

using namespace codestats::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> withHello(const std::string& fixtureName, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--set", "modules=hello", "--set", "modules.hello.artifact=" + fixture(fixtureName)};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string metrics(const HostProcess& h) {
  auto r = h.admin("GET", "/metrics");
  REQUIRE(r.status == 200);
  return r.body;
}

// A connected loopback TCP socket (plain POSIX: the test needs byte-level pacing).
class RawSocket {
 public:
  explicit RawSocket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~RawSocket() { ::close(fd_); }
  bool send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // True when the server closed the connection (EOF or reset) within `ms`.
  bool closedWithin(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) received_.append(buf, static_cast<size_t>(n));
    return n <= 0;
  }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

// Sends `prefix`, then one more byte every 200 ms; returns the seconds until the server
// closed the connection, or -1 if it was still open after `limitSeconds`.
double secondsUntilClosed(int port, const std::string& prefix, const std::string& drip, double limitSeconds) {
  RawSocket s(port);
  REQUIRE(s.send(prefix));
  auto start = std::chrono::steady_clock::now();
  size_t i = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < limitSeconds) {
    if (s.closedWithin(200)) return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!s.send(std::string(1, drip[i++ % drip.size()])))
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return -1;
}

}  // namespace

TEST_CASE("health: /healthz is alive, /readyz needs the database and every configured module", "[ops][health]") {
  HostProcess h(withHello("hello_v1"));
  auto alive = h.get("/healthz");
  CHECK(alive.status == 200);
  CHECK(alive.body == R"({"status":"ok"})");
  CHECK(alive.header("cache-control") == "no-store");
  auto ready = h.get("/readyz");
  INFO(ready.body);
  CHECK(ready.status == 200);
  auto body = parseObject(ready.body);
  CHECK(body->getValue<std::string>("status") == "ready");
  CHECK(body->getValue<std::string>("database") == "ok");
  CHECK(body->getObject("modules")->getValue<std::string>("hello") == "active");
  CHECK(h.request("POST", "/healthz").status == 405);

  // A configured module that is not loaded: not ready (after the 1 s cache).
  REQUIRE(h.admin("POST", "/admin/modules/hello/unload").status == 200);
  CHECK(eventually([&] { return h.get("/readyz").status == 503; }, 3000));
  auto notReady = parseObject(h.get("/readyz").body);
  CHECK(notReady->getValue<std::string>("status") == "not ready");
  CHECK(notReady->getObject("modules")->getValue<std::string>("hello") == "not loaded");
  CHECK(h.get("/healthz").status == 200);  // alive all the same
}

TEST_CASE("metrics: latency histograms and responses per route and module version, runtime gauges", "[ops][metrics]") {
  HostProcess h(withHello("hello_v1"));
  for (int i = 0; i < 3; ++i) REQUIRE(h.get("/hello").status == 200);
  REQUIRE(h.get("/hello/headers").status == 400);
  std::string v1 = R"(module="hello",version="1.0.0",route="GET /hello")";
  std::string m = metrics(h);
  CHECK_THAT(m, Contains("# TYPE codestats_http_request_duration_seconds histogram"));
  CHECK_THAT(m, Contains("codestats_http_request_duration_seconds_count{" + v1 + "} 3\n"));
  CHECK_THAT(m, Contains("codestats_http_request_duration_seconds_bucket{" + v1 + ",le=\"+Inf\"} 3\n"));
  CHECK_THAT(m, Contains("codestats_http_route_responses_total{" + v1 + ",class=\"2xx\"} 3\n"));
  CHECK_THAT(
      m,
      Contains(
          R"(codestats_http_route_responses_total{module="hello",version="1.0.0",route="GET /hello/headers",class="4xx"} 1)"));
  CHECK_THAT(m, Contains(R"(codestats_module_active_info{module="hello",version="1.0.0",generation="1"} 1)"));
  CHECK_THAT(m, Contains(R"(codestats_module_zombie_generations{module="hello"} 0)"));
  CHECK_THAT(m, Contains(R"(codestats_module_pinned_images{module="hello"} 0)"));
  CHECK_THAT(m, Contains("codestats_ws_connections 0\n"));
  CHECK_THAT(m, Contains("process_start_time_seconds "));

  // A new version gets its own series; the old one's stay.
  REQUIRE(h.admin("POST", "/admin/modules/hello/reload", R"({"artifact":")" + fixture("hello_v2") + R"(","wait":true})")
              .status == 200);
  REQUIRE(h.get("/hello").body == "v2");
  m = metrics(h);
  CHECK_THAT(
      m, Contains(
             R"(codestats_http_request_duration_seconds_count{module="hello",version="2.0.0",route="GET /hello"} 1)"));
  CHECK_THAT(m, Contains("codestats_http_request_duration_seconds_count{" + v1 + "} 3\n"));
  CHECK_THAT(m, Contains(R"(codestats_module_active_info{module="hello",version="2.0.0",generation="2"} 1)"));
  CHECK_THAT(m, Contains(R"(codestats_module_activations_total{module="hello"} 2)"));
  // The host's own endpoints are measured too.
  REQUIRE(h.get("/healthz").status == 200);
  CHECK_THAT(metrics(h), Contains(R"(codestats_http_request_duration_seconds_count{module="host",version=")"));
}

TEST_CASE("logs: log.format=json writes one JSON object per line", "[ops][logs]") {
  HostProcess h(withHello("hello_v1", {"--set", "log.format=json"}));
  REQUIRE(h.get("/hello").status == 200);
  h.stop();
  std::istringstream lines(h.log());
  std::string line;
  int parsed = 0;
  bool sawModuleSource = false;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    INFO(line);
    auto o = parseObject(line);  // throws on anything that is not a JSON object
    CHECK(o->has("ts"));
    CHECK(o->has("level"));
    CHECK(o->has("msg"));
    if (o->optValue<std::string>("source", "") == "hello@1.0.0#1" &&
        contains(o->getValue<std::string>("msg"), "activated"))
      sawModuleSource = true;
    ++parsed;
  }
  CHECK(parsed >= 3);
  CHECK(sawModuleSource);
}

TEST_CASE("logs: request logging never contains tokens, passwords or header values", "[ops][logs][security]") {
  HostProcess h(withHello("hello_v1", {"--set", "log.requests=true"}));
  auto r = h.request("GET", "/hello?token=QUERYSECRET1&page=2", "",
                     {{"X-API-Token", "HEADERSECRET2"}, {"Authorization", "Bearer HEADERSECRET3"}});
  REQUIRE(r.status == 200);
  REQUIRE(h.request("GET", "/reset-password/PATHSECRET4").status == 404);
  std::string log = h.log();
  CHECK_THAT(log, Contains("[http] GET /hello?token=[redacted]&page=2 200"));
  CHECK_THAT(log, Contains("[http] GET /reset-password/[redacted] 404"));
  for (const char* secret : {"QUERYSECRET1", "HEADERSECRET2", "HEADERSECRET3", "PATHSECRET4"})
    CHECK_FALSE(contains(log, secret));
}

TEST_CASE("security: HTML responses get the host's headers, cookies get their flags", "[ops][security]") {
  HostProcess h(withHello("hello_ops"));
  auto page = h.get("/hello/page");
  REQUIRE(page.status == 200);
  CHECK_THAT(page.header("content-security-policy"), Contains("script-src 'self'"));
  CHECK_THAT(page.header("content-security-policy"), Contains("connect-src 'self'"));
  CHECK_THAT(page.header("content-security-policy"), Contains("frame-ancestors 'none'"));
  CHECK(page.header("x-content-type-options") == "nosniff");
  CHECK(page.header("referrer-policy") == "strict-origin-when-cross-origin");
  CHECK(page.header("x-frame-options") == "DENY");
  // Both cookies, each with its flags (raw: the reply map keeps one header per name).
  std::string raw = rawExchange(h.httpPort(), "GET /hello/page HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK_THAT(raw, Contains("Set-Cookie: _session=abc123; Path=/; HttpOnly; SameSite=Lax\r\n"));
  CHECK_THAT(raw, Contains("Set-Cookie: pref=dark; Path=/; SameSite=Strict; HttpOnly\r\n"));

  auto own = h.get("/hello/framed");
  CHECK(own.header("content-security-policy") == "default-src 'none'");  // the module's choice stands
  auto text = h.get("/hello");
  CHECK(text.header("x-content-type-options") == "nosniff");
  CHECK(text.header("content-security-policy").empty());

  HostProcess tls(withHello("hello_ops", {"--set", "http.secure_cookies=true"}));
  raw = rawExchange(tls.httpPort(), "GET /hello/page HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK_THAT(raw, Contains("Set-Cookie: _session=abc123; Path=/; HttpOnly; SameSite=Lax; Secure\r\n"));
}

TEST_CASE("security: the admin token file is created private (0600)", "[ops][security]") {
  HostProcess h;
  struct stat st {};
  REQUIRE(::stat((h.varDir() + "/admin.token").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((h.varDir() + "/secret_key_base").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("security: everything the host creates under var/ is private, whatever umask it inherited",
          "[ops][security][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      // The permissive umask of a careless shell: without its own umask the host created
      // codestats.db 0644 and var/run 0777.
      mode_t old = ::umask(0);
      std::unique_ptr<HostProcess> started;
      try {
        started = std::make_unique<HostProcess>(
            db.args + std::vector<std::string>{"--set", "modules=web,ingest,mail", "--set", "modules.mail.poll_ms=50",
                                               "--set", "crash_guard.window_ms=200"});
      } catch (...) {
        ::umask(old);
        throw;
      }
      ::umask(old);
      HostProcess& h = *started;
      const std::string var = h.varDir();

      // A pulse (database, -wal), a mail through the file transport (var/mail), the
      // crash guard's known-good copies (var/state) after its 200 ms window.
      run(h, {"run", "web.create-user", "alice"});
      std::string token = trim(run(h, {"run", "web.create-machine", "alice", "laptop"}));
      auto pulse = h.request("POST", "/api/my/pulses",
                             R"({"coded_at":")" + isoSecondsAgo(5) + R"(","xps":[{"language":"C++","xp":10}]})",
                             {{"X-API-Token", token}, {"Content-Type", "application/json"}});
      REQUIRE(pulse.status == 201);
      run(h, {"run", "mail.send-test", "alice@example.org"});
      auto anyFileIn = [&](const std::string& dir, const std::string& suffix) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(var + "/" + dir, ec))
          if (e.path().string().size() > suffix.size() && e.path().string().ends_with(suffix)) return true;
        return false;
      };
      REQUIRE(eventually([&] { return anyFileIn("mail", ".eml"); }));
      REQUIRE(eventually([&] { return anyFileIn("state/known-good", ".so"); }));
      // Module copies live in run/<pid>/ (a host and its upgrade successor run at once).
      std::vector<std::string> expected{"admin.token", "secret_key_base", "codestatsd.ports",
                                        "run/" + std::to_string(h.pid()) + "/web", "state"};
      if (backend == "sqlite") expected.insert(expected.end(), {"codestats.db", "codestats.db-wal"});
      for (const auto& e : expected) {
        INFO(e);
        CHECK(fs::exists(var + "/" + e));
      }

      std::string exposed;
      int seen = 0;
      std::error_code ec;
      for (auto it = fs::recursive_directory_iterator(var, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        std::string path = it->path().string();
        if (path == var + "/host.log") continue;  // the test's own file (spawnProcess opens it)
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) continue;  // gone meanwhile (a rotated temp file)
        ++seen;
        if (st.st_mode & 077) {
          char mode[8];
          std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
          exposed += path.substr(var.size()) + " " + mode + "\n";
        }
      }
      CHECK_FALSE(ec);
      INFO("group/other bits on:\n" << exposed);
      CHECK(seen >= 10);
      CHECK(exposed.empty());
    }
  }
}

TEST_CASE("security: oversized request lines and headers are refused with 400", "[ops][security]") {
  HostProcess h(withHello("hello_v1"));
  auto status = [&](const std::string& request) {
    std::string raw = rawExchange(h.httpPort(), request);
    return raw.substr(0, 12);
  };
  CHECK(status("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") == "HTTP/1.1 200");
  CHECK(status("GET /" + std::string(17000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n") == "HTTP/1.1 400");
  CHECK(status("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(9000, 'b') + "\r\n\r\n") == "HTTP/1.1 400");
  CHECK(status("GET /hello HTTP/1.1\r\nHost: t\r\nX-" + std::string(300, 'n') + ": v\r\n\r\n") == "HTTP/1.1 400");
  std::string many = "GET /hello HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 120; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  CHECK(status(many + "\r\n") == "HTTP/1.1 400");
  CHECK(status(std::string(40, 'M') + " /hello HTTP/1.1\r\nHost: t\r\n\r\n") == "HTTP/1.1 400");
}

TEST_CASE("security: slow clients are cut off by the header and body deadlines", "[ops][security][slow]") {
  HostProcess h(withHello("hello_v1", {"--set", "http.header_timeout_ms=1000", "--set", "http.body_timeout_ms=1000",
                                       "--set", "http.keepalive_timeout_ms=1000"}));
  // A request head trickled one byte every 200 ms (each read succeeds, so the per-read
  // socket timeout never fires): closed after about a second.
  double head = secondsUntilClosed(h.httpPort(), "GET /hello HTTP/1.1\r\nHost: t\r\n", "X-Slow: abcdefgh\r\n", 8);
  CHECK(head > 0.5);
  CHECK(head < 3.5);
  // The same for a body.
  double body =
      secondsUntilClosed(h.httpPort(), "POST /hello/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n", "x", 8);
  CHECK(body > 0.5);
  CHECK(body < 3.5);
  // An idle keep-alive connection: closed after keep-alive + header timeout.
  {
    RawSocket s(h.httpPort());
    REQUIRE(s.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
    bool closed = false;
    REQUIRE(eventually([&] {  // the response arrives, the connection stays
      closed = closed || s.closedWithin(50);
      return contains(s.received(), "\r\n\r\nv1");
    }));
    CHECK_FALSE(closed);
    CHECK(eventually([&] { return s.closedWithin(100); }, 4000));
  }
  // A module that takes longer than every deadline still answers: no deadline runs while
  // the module works.
  auto slow = h.get("/hello/slow?ms=2500");
  CHECK(slow.status == 200);
  CHECK_THAT(metrics(h), Contains("codestats_http_slow_clients_closed_total "));
  CHECK(h.get("/hello").status == 200);
}

TEST_CASE("security: database passwords and tokens stay out of the host log", "[ops][security][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      BackendArgs db = backendArgs(backend);
      HostProcess h(db.args + std::vector<std::string>{"--set", "log.requests=true", "--set", "log.level=debug"});
      REQUIRE(h.request("GET", "/live_update_socket/websocket?vsn=2.0.0&token=SOCKETSECRET9").status != 0);
      h.stop();
      std::string log = h.log();
      CHECK_THAT(log, Contains("[host] database "));
      CHECK_FALSE(contains(log, "password="));
      CHECK_FALSE(contains(log, "SOCKETSECRET9"));
      CHECK_FALSE(contains(log, h.token()));
    }
  }
}
