// The mail module in a real codestatsd: file, Mailgun (a fake Mailgun HTTP server in this
// process) and SMTP (aiosmtpd, smtp_sink.py) transports; retries and backoff; bad input;
// startup errors; durability across SIGKILL and reloads; mass mail. DB tests run on SQLite
// and PostgreSQL.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "backends.hpp"
#include "host_process.hpp"
#include "db/database.hpp"

using namespace codestats::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

bool waitFor(const std::function<bool()>& pred, int timeoutMs = 20000) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Poco::JSON::Object::Ptr parseObject(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Object::Ptr>();
}

std::string jsonArgs(const std::vector<std::string>& args) {
  Poco::JSON::Object o;
  Poco::JSON::Array a;
  for (const auto& s : args) a.add(s);
  o.set("args", a);
  std::ostringstream ss;
  o.stringify(ss);
  return ss.str();
}

// Runs admin command mail.<name>; returns {status, output or error}.
struct CmdResult {
  int status = 0;
  std::string output, error;
};
CmdResult cmd(const HostProcess& h, const std::string& name, const std::vector<std::string>& args = {}) {
  HttpReply r = h.admin("POST", "/admin/commands/mail." + name, jsonArgs(args));
  CmdResult c;
  c.status = r.status;
  try {
    auto o = parseObject(r.body);
    c.output = o->optValue<std::string>("output", "");
    c.error = o->optValue<std::string>("error", "");
  } catch (...) {
    c.error = r.body;
  }
  return c;
}

std::string sendJson(const std::string& to, const std::string& subject, const std::string& text,
                     const std::string& extra = "") {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("to", to);
  o.set("subject", subject);
  o.set("text", text);
  std::ostringstream ss;
  o.stringify(ss);
  std::string s = ss.str();
  if (!extra.empty()) s = s.substr(0, s.size() - 1) + "," + extra + "}";
  return s;
}

int64_t queueMail(const HostProcess& h, const std::string& json) {
  CmdResult c = cmd(h, "send", {json});
  INFO(c.error);
  REQUIRE(c.status == 200);
  return parseObject(c.output)->getValue<int64_t>("id");
}

std::map<std::string, int64_t> status(const HostProcess& h) {
  CmdResult c = cmd(h, "status");
  std::map<std::string, int64_t> m;
  if (c.status != 200) return m;
  auto o = parseObject(c.output);
  for (const char* k : {"queued", "sent", "failed"}) m[k] = o->getValue<int64_t>(k);
  return m;
}

Poco::JSON::Object::Ptr show(const HostProcess& h, int64_t id) {
  CmdResult c = cmd(h, "show", {std::to_string(id)});
  REQUIRE(c.status == 200);
  return parseObject(c.output);
}

int freePort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  int p = s.address().port();
  s.close();
  return p;
}

// ---- a fake Mailgun ----
struct Received {
  Clock::time_point at;
  std::map<std::string, std::vector<std::string>> fields;
  bool authOk = false;
  std::string path;
  int answered = 0;
  std::string field(const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() || it->second.empty() ? std::string() : it->second[0];
  }
};

class FakeMailgun {
 public:
  // Statuses to answer per subject, in order; once used up (or unscripted): 200.
  std::map<std::string, std::deque<int>> script;
  int delayMs = 0;

  // With tls (a SERVER_USE context): HTTPS, as the real Mailgun.
  explicit FakeMailgun(int port = 0, Poco::Net::Context::Ptr tls = nullptr) : tls_(!tls.isNull()) {
    Poco::Net::ServerSocket socket = tls ? Poco::Net::SecureServerSocket(tls) : Poco::Net::ServerSocket();
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), true);
    socket.listen(64);
    port_ = socket.address().port();
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), pool_, socket, params);
    server_->start();
  }
  // Waits for its connection threads: a thread still answering after the stand-in was
  // replaced (or the process ended) used freed memory, and threads kept by the mail
  // module's kept-alive connections held the shared default pool that the next stand-in
  // on the same port needed.
  ~FakeMailgun() {
    server_->stopAll(true);
    pool_.joinAll();
    server_.reset();
  }
  int port() const { return port_; }
  std::string baseUrl() const {
    return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_);
  }

  std::vector<Received> received() {
    std::lock_guard<std::mutex> l(mu_);
    return log_;
  }
  std::vector<Received> forSubject(const std::string& s) {
    std::vector<Received> out;
    for (auto& r : received())
      if (r.field("subject") == s) out.push_back(r);
    return out;
  }
  int accepted(const std::string& subject) {
    int n = 0;
    for (auto& r : forSubject(subject)) n += r.answered / 100 == 2;
    return n;
  }

 private:
  void handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    Received r;
    r.at = Clock::now();
    r.path = req.getURI();
    try {
      Poco::Net::HTTPBasicCredentials cred(req);
      r.authOk = cred.getUsername() == "api" && cred.getPassword() == "key-test-123";
    } catch (...) {
    }
    Poco::Net::HTMLForm form(req, req.stream());
    for (const auto& [k, v] : form) r.fields[k].push_back(v);
    int status = 200;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = script.find(r.field("subject"));
      if (it != script.end() && !it->second.empty()) {
        status = it->second.front();
        it->second.pop_front();
      }
      if (!r.authOk || r.path != "/v3/mg.example.org/messages") status = 401;
      r.answered = status;
      log_.push_back(r);
    }
    if (delayMs) std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("application/json");
    std::string body;
    if (status == 200)
      body = R"({"id":"<)" + std::to_string(++ids_) + R"(@mg.example.org>","message":"Queued. Thank you."})";
    else if (status == 400) body = R"({"message":"'to' parameter is not a valid address. please check documentation"})";
    else if (status == 401) body = R"({"message":"Forbidden"})";
    else if (status == 429) body = R"({"message":"Too many requests"})";
    else body = R"({"message":"Internal Server Error"})";
    resp.sendBuffer(body.data(), body.size());
  }
  struct Handler : Poco::Net::HTTPRequestHandler {
    FakeMailgun* self;
    explicit Handler(FakeMailgun* s) : self(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
      self->handle(req, resp);
    }
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    FakeMailgun* self;
    explicit Factory(FakeMailgun* s) : self(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(self);
    }
  };
  bool tls_ = false;
  int port_ = 0;
  int ids_ = 0;
  std::mutex mu_;
  std::vector<Received> log_;
  Poco::ThreadPool pool_{2, 8};  // this stand-in's own, joined before the server goes
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

std::vector<std::string> mailgunArgs(const std::string& baseUrl) {
  return {"--set", "modules=mail",
          "--set", "modules.mail.transport=mailgun",
          "--set", "modules.mail.domain=mg.example.org",
          "--set", "modules.mail.api_key=key-test-123",
          "--set", "modules.mail.from=Code::Stats <noreply@codestats.example.org>",
          "--set", "modules.mail.base_url=" + baseUrl,
          "--set", "modules.mail.poll_ms=50",
          "--set", "modules.mail.timeout_ms=1000",
          "--set", "modules.mail.claim_ms=3000"};
}

// A direct connection to the test's database, for fixtures (users) and checks.
std::unique_ptr<codestats::host::db::Pool> openDb(const std::string& backend, const std::string& sqlitePath,
                                                  const BackendArgs& db) {
  codestats::host::db::DbConfig c;
  c.poolSize = 1;
  if (backend == "postgres") {
    c.backend = codestats::host::db::Backend::Postgres;
    c.postgresConninfo = db.schema->conninfo();
  } else {
    c.sqlitePath = sqlitePath;
  }
  return codestats::host::db::Pool::open(c);
}

int64_t scalar(codestats::host::db::Pool& pool, const std::string& sql) {
  auto rs = pool.acquire()->query(sql, nullptr, 0);
  const auto& v = rs.at(0, 0);
  return v.type == CS_VAL_INT ? v.i : v.type == CS_VAL_TEXT ? std::stoll(v.s) : static_cast<int64_t>(v.d);
}

// Lenient quoted-printable decoding of a whole message (headers pass through).
std::string qpDecode(const std::string& s) {
  auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=' && i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') {
      i += 2;
    } else if (s[i] == '=' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A child process (the SMTP sink), stopped by the destructor.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) : pid_(spawnProcess(argv)) {}
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

// NetSSL for the TLS servers in this process (the host process has its own).
struct SslInit {
  SslInit() { Poco::Net::initializeSSL(); }
  ~SslInit() { Poco::Net::uninitializeSSL(); }
} sslInit;

// A throwaway PKI made with the openssl CLI: the test CA and a server certificate for
// 127.0.0.1/localhost signed by it, a certificate for the same names signed by another
// ("rogue") CA, and one signed by the test CA for another name (127.0.0.2: a literal,
// so checking it needs no DNS).
class TestPki {
 public:
  TestPki() {
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
        "'/CN=codestats mail test CA' -keyout ca.key -out ca.crt");
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
        "'/CN=codestats rogue CA' -keyout rogue-ca.key -out rogue-ca.crt");
    leaf("server", "ca", "127.0.0.1", "DNS:localhost,IP:127.0.0.1");
    leaf("rogue", "rogue-ca", "127.0.0.1", "DNS:localhost,IP:127.0.0.1");
    leaf("wrongname", "ca", "127.0.0.2", "DNS:127.0.0.2,IP:127.0.0.2");
  }
  std::string file(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string caFile() const { return file("ca.crt"); }
  // A server context presenting NAME.crt (server, rogue or wrongname).
  Poco::Net::Context::Ptr serverContext(const std::string& name) const {
    return new Poco::Net::Context(Poco::Net::Context::SERVER_USE, file(name + ".key"), file(name + ".crt"), "",
                                  Poco::Net::Context::VERIFY_NONE);
  }

 private:
  void run(const std::string& command) const {
    std::string full = "cd '" + dir_.path() + "' && " + command + " >openssl.log 2>&1";
    int rc = std::system(full.c_str());
    INFO(full << "\n" << readFile(dir_.path() + "/openssl.log"));
    REQUIRE(rc == 0);
  }
  void leaf(const std::string& name, const std::string& ca, const std::string& cn, const std::string& san) const {
    std::ofstream(file(name + ".ext")) << "basicConstraints = CA:FALSE\nkeyUsage = digitalSignature, keyEncipherment\n"
                                          "extendedKeyUsage = serverAuth\nsubjectAltName = "
                                       << san << "\n";
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=" + cn + "' -keyout " + name +
        ".key -out " + name + ".csr");
    run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca +
        ".key -CAcreateserial -days 2 -extfile " + name + ".ext -out " + name + ".crt");
  }
  TempDir dir_;
};

}  // namespace

TEST_CASE("mail: file transport by default, password-reset template, status", "[mail][host]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      HostProcess h(db.args + std::vector<std::string>{"--set", "modules=mail", "--set", "modules.mail.poll_ms=50"});
      REQUIRE(h.get("/health/mail").status == 200);
      int64_t id = queueMail(
          h, sendJson("alice@example.org", "Hello Alice", "Plain body\nline 2", R"("html":"<p>Hi</p>","tag":"t1")"));
      CmdResult t = cmd(
          h, "send-template",
          {R"({"template":"password_reset","to":"bob@example.org","vars":{"username":"bob <b>","reset_url":"https://codestats.example.org/reset-password/0b5f3c9e-2a2c-4c3e-9b1a-1d2e3f4a5b6c"}})"});
      INFO(t.error);
      REQUIRE(t.status == 200);
      int64_t resetId = parseObject(t.output)->getValue<int64_t>("id");
      REQUIRE(waitFor([&] { return status(h)["sent"] == 2; }));
      CHECK(status(h) == std::map<std::string, int64_t>{{"queued", 0}, {"sent", 2}, {"failed", 0}});

      std::string dir = h.varDir() + "/mail";
      std::string first = show(h, id)->getValue<std::string>("provider_id");
      CHECK(fs::path(first).parent_path() == fs::path(dir));
      std::string eml = readFile(first);
      CHECK(eml.find("To: alice@example.org\r\n") != std::string::npos);
      CHECK(eml.find("Subject: Hello Alice\r\n") != std::string::npos);
      CHECK(eml.find("X-Mail-Tag: t1\r\n") != std::string::npos);
      CHECK(eml.find("multipart/alternative") != std::string::npos);
      for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().extension() == ".eml");  // no temp files left

      std::string reset = readFile(show(h, resetId)->getValue<std::string>("provider_id"));
      CHECK(reset.find("Subject: Code::Stats password reset request\r\n") != std::string::npos);
      std::string decoded = qpDecode(reset);
      CHECK(decoded.find("https://codestats.example.org/reset-password/0b5f3c9e-2a2c-4c3e-9b1a-1d2e3f4a5b6c") !=
            std::string::npos);
      CHECK(decoded.find("This link is valid for 4 hours.") != std::string::npos);
      CHECK(decoded.find("Hi bob <b>,") != std::string::npos);               // text part: raw
      CHECK(decoded.find("<p>Hi bob &lt;b&gt;,</p>") != std::string::npos);  // HTML part: escaped
      CHECK(decoded.find("This email was sent from Code::Stats https://codestats.example.org.") != std::string::npos);

      CmdResult test = cmd(h, "send-test", {"ops@example.org"});
      CHECK(test.status == 200);
      REQUIRE(waitFor([&] { return status(h)["sent"] == 3; }));
    }
  }
}

TEST_CASE("mail: bad input is rejected at send with a clear error", "[mail][host]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      HostProcess h(db.args + std::vector<std::string>{"--set", "modules=mail"});
      struct Case {
        std::string json, expect;
      };
      std::vector<Case> cases{
          {sendJson("not an address", "S", "T"), "invalid recipient address 'not an address'"},
          {sendJson("a@localhost", "S", "T"), "invalid recipient address 'a@localhost'"},
          {sendJson("a@example.org\r\nBcc: victim@example.org", "S", "T"), "'to' must not contain CR, LF or NUL"},
          {sendJson("a@example.org", "Hi\r\nBcc: victim@example.org", "T"), "'subject' must not contain CR, LF or NUL"},
          {sendJson("a@example.org", "Hi\nthere", "T"), "header injection"},
          {sendJson("a@example.org", "S", "T", R"("tag":"x\r\ny")"), "'tag' must not contain CR, LF or NUL"},
          {sendJson("a@example.org", std::string(300, 's'), "T"), "'subject' is 300 bytes; the limit is 255"},
          {sendJson("a@example.org", "S", std::string(300000, 'x')), "'text' is 300000 bytes; the limit is 262144"},
          {sendJson("a@example.org", "S", "T", R"("html":")" + std::string(600000, 'h') + "\""),
           "'html' is 600000 bytes"},
          {R"({"subject":"S","text":"T"})", "'to' is required"},
          {"[1,2]", "JSON object"},
      };
      for (const auto& c : cases) {
        INFO(c.json.substr(0, 100));
        CmdResult r = cmd(h, "send", {c.json});
        CHECK(r.status == 400);
        CHECK_THAT(r.error, Catch::Contains("invalid mail") && Catch::Contains(c.expect));
      }
      CmdResult badTemplate = cmd(
          h, "send-template",
          {R"({"template":"password_reset","to":"a@example.org","vars":{"username":"u\r\nX: y","reset_url":"https://x.org/r"}})"});
      CHECK(badTemplate.status == 400);
      CHECK_THAT(badTemplate.error, Catch::Contains("'vars.username' must not contain CR, LF"));
      CHECK(cmd(h, "send-test", {"bad@@example.org"}).status == 400);
      CHECK(status(h) == std::map<std::string, int64_t>{{"queued", 0}, {"sent", 0}, {"failed", 0}});
    }
  }
}

TEST_CASE("mail: missing transport configuration stops the start, naming the key", "[mail][host]") {
  TempDir dir;
  std::vector<std::string> base{"--set", "var_dir=" + dir.path(),      "--set", "http.port=0", "--set", "admin.port=0",
                                "--set", "module_dir=" + modulesDir(), "--set", "modules=mail"};
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  std::vector<Case> cases{
      {{"--set", "modules.mail.transport=mailgun"}, "needs config key modules.mail.domain"},
      {{"--set", "modules.mail.transport=mailgun", "--set", "modules.mail.domain=mg.example.org"},
       "needs config key modules.mail.api_key"},
      {{"--set", "modules.mail.transport=mailgun", "--set", "modules.mail.domain=mg.example.org", "--set",
        "modules.mail.api_key=k"},
       "needs config key modules.mail.from"},
      {{"--set", "modules.mail.transport=smtp"}, "needs config key modules.mail.smtp_host"},
      {{"--set", "modules.mail.transport=smtp", "--set", "modules.mail.smtp_host=127.0.0.1"},
       "needs config key modules.mail.from"},
      {{"--set", "modules.mail.transport=carrier-pigeon"}, "expected file, mailgun or smtp"},
      {{"--set", "modules.mail.from=not-an-address"}, "modules.mail.from"},
      {{"--set", "modules.mail.bogus=1"}, "unknown config key 'bogus'"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.expect) {
      std::string out;
      int rc = runHostToExit(base + c.args, out);
      CHECK(rc != 0);
      CHECK_THAT(out, Catch::Contains(c.expect));
    }
  }
}

TEST_CASE("mail: Mailgun transport, retries with backoff, permanent failures, retry-failed", "[mail][host]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      FakeMailgun mg;
      mg.script["retry me"] = {500, 429, 200};
      mg.script["bad one"] = {400, 200};
      const int64_t backoff = 300;
      HostProcess h(db.args + mailgunArgs(mg.baseUrl()) +
                    std::vector<std::string>{"--set", "modules.mail.backoff_ms=" + std::to_string(backoff), "--set",
                                             "modules.mail.max_attempts=5", "--set",
                                             "modules.mail.reply_to=support@codestats.example.org"});
      int64_t retry =
          queueMail(h, sendJson("a@example.org", "retry me", "body A", R"("html":"<b>A</b>","tag":"reset")"));
      int64_t bad = queueMail(h, sendJson("b@example.org", "bad one", "body B"));
      int64_t ok = queueMail(h, sendJson("c@example.org", "plain ok", "body C"));
      REQUIRE(waitFor([&] { return status(h)["queued"] == 0; }));
      CHECK(status(h) == std::map<std::string, int64_t>{{"queued", 0}, {"sent", 2}, {"failed", 1}});

      auto tries = mg.forSubject("retry me");
      REQUIRE(tries.size() == 3);
      CHECK(tries[0].answered == 500);
      CHECK(tries[1].answered == 429);
      CHECK(tries[2].answered == 200);
      // backoff: >= base/2 after the first failure, >= base after the second (jitter lower bounds)
      auto gap = [](const Received& a, const Received& b) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(b.at - a.at).count();
      };
      CHECK(gap(tries[0], tries[1]) >= backoff / 2);
      CHECK(gap(tries[1], tries[2]) >= backoff);
      for (const auto& t : tries) {
        CHECK(t.authOk);
        CHECK(t.path == "/v3/mg.example.org/messages");
        CHECK(t.field("from") == "\"Code::Stats\" <noreply@codestats.example.org>");
        CHECK(t.field("to") == "a@example.org");
        CHECK(t.field("text") == "body A");
        CHECK(t.field("html") == "<b>A</b>");
        CHECK(t.field("o:tag") == "reset");
        CHECK(t.field("h:Reply-To") == "support@codestats.example.org");
      }
      CHECK(mg.accepted("retry me") == 1);
      CHECK(mg.accepted("plain ok") == 1);
      auto r = show(h, retry);
      CHECK(r->getValue<std::string>("status") == "sent");
      CHECK(r->getValue<int64_t>("attempts") == 3);
      CHECK_THAT(r->getValue<std::string>("provider_id"),
                 Catch::StartsWith("<") && Catch::EndsWith("@mg.example.org>"));
      CHECK(show(h, ok)->getValue<std::string>("status") == "sent");

      auto b = show(h, bad);
      CHECK(b->getValue<std::string>("status") == "failed");
      CHECK(b->getValue<int64_t>("attempts") == 1);
      CHECK_THAT(b->getValue<std::string>("last_error"),
                 Catch::Contains("400") && Catch::Contains("'to' parameter is not a valid address"));
      CHECK(mg.forSubject("bad one").size() == 1);  // a 4xx is not retried

      CmdResult rf = cmd(h, "retry-failed");
      CHECK(rf.output == R"({"requeued":1})");
      REQUIRE(waitFor([&] { return show(h, bad)->getValue<std::string>("status") == "sent"; }));
      CHECK(mg.accepted("bad one") == 1);
      CHECK(status(h) == std::map<std::string, int64_t>{{"queued", 0}, {"sent", 3}, {"failed", 0}});
    }
  }
}

TEST_CASE("mail: retries stop at max_attempts", "[mail][host]") {
  FakeMailgun mg;
  mg.script["always 503"] = {503, 503, 503, 503};
  HostProcess h(mailgunArgs(mg.baseUrl()) + std::vector<std::string>{"--set", "modules.mail.backoff_ms=50", "--set",
                                                                     "modules.mail.max_attempts=3"});
  int64_t id = queueMail(h, sendJson("a@example.org", "always 503", "x"));
  REQUIRE(waitFor([&] { return show(h, id)->getValue<std::string>("status") == "failed"; }));
  auto m = show(h, id);
  CHECK(m->getValue<int64_t>("attempts") == 3);
  CHECK_THAT(m->getValue<std::string>("last_error"),
             Catch::Contains("gave up after 3 attempts") && Catch::Contains("503"));
  CHECK(mg.forSubject("always 503").size() == 3);
}

// The value of codestats_mail_queue_depth on /metrics, or -1 while it is not there.
double queueDepthGauge(const HostProcess& h) {
  HttpReply r = h.admin("GET", "/metrics");
  const std::string series = "codestats_mail_queue_depth{module=\"mail\"} ";
  size_t at = r.body.find("\n" + series);
  return r.status != 200 || at == std::string::npos ? -1
                                                    : std::strtod(r.body.c_str() + at + 1 + series.size(), nullptr);
}

TEST_CASE("mail: the queue depth gauge counts pending mail and falls to 0 once delivered", "[mail][host][metrics]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      int port = freePort();  // nothing listens here yet: Mailgun is unreachable
      HostProcess h(db.args + mailgunArgs("http://127.0.0.1:" + std::to_string(port)) +
                    std::vector<std::string>{"--set", "modules.mail.backoff_ms=100", "--set",
                                             "modules.mail.max_backoff_ms=300", "--set",
                                             "modules.mail.max_attempts=100"});
      REQUIRE(waitFor([&] { return queueDepthGauge(h) == 0; }));  // reported while idle, too
      for (int i = 0; i < 4; ++i)
        queueMail(h, sendJson("q" + std::to_string(i) + "@example.org", "pending " + std::to_string(i), "body"));
      CHECK(waitFor([&] { return queueDepthGauge(h) == 4; }));
      std::this_thread::sleep_for(std::chrono::milliseconds(600));  // failed attempts keep them pending
      CHECK(queueDepthGauge(h) == 4);
      CHECK(status(h)["queued"] == 4);
      std::string m = h.admin("GET", "/metrics").body;
      CHECK_THAT(m, Catch::Contains("# TYPE codestats_mail_queue_depth gauge\n"));

      FakeMailgun mg(port);  // the provider comes back
      CHECK(waitFor([&] { return queueDepthGauge(h) == 0; }, 30000));
      CHECK(status(h)["sent"] == 4);
      for (int i = 0; i < 4; ++i) CHECK(mg.accepted("pending " + std::to_string(i)) == 1);
    }
  }
}

TEST_CASE("mail: SMTP transport with AUTH against a real SMTP server", "[mail][host]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      TempDir sink;
      int port = freePort();
      Child server({"/usr/bin/python3", CODESTATS_MAIL_TEST_DIR "/smtp_sink.py", std::to_string(port), sink.path(),
                    "mailer", "s3cret pass"});
      REQUIRE(waitFor([&] { return fs::exists(sink.path() + "/ready"); }, 15000));
      HostProcess h(db.args +
                    std::vector<std::string>{
                        "--set", "modules=mail",
                        "--set", "modules.mail.transport=smtp",
                        "--set", "modules.mail.smtp_host=127.0.0.1",
                        "--set", "modules.mail.smtp_port=" + std::to_string(port),
                        "--set", "modules.mail.smtp_starttls=false",
                        "--set", "modules.mail.smtp_user=mailer",
                        "--set", "modules.mail.smtp_password=s3cret pass",
                        "--set", "modules.mail.smtp_auth=" + std::string(backend == "sqlite" ? "login" : "plain"),
                        "--set", "modules.mail.from=Code::Stats <noreply@codestats.example.org>",
                        "--set", "modules.mail.poll_ms=50"});
      std::string text =
          "Line 1\n.leading dot line\n\nGrüße, ünïcode \xF0\x9F\x98\x82\n" + std::string(100, 'x') + "\n";
      Poco::JSON::Object o;
      o.set("to", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
      o.getArray("to")->add("one@example.org");
      o.getArray("to")->add("two@example.org");
      o.set("subject", "SMTP über alles");
      o.set("text", text);
      o.set("html", "<p>Grüße</p>");
      std::ostringstream ss;
      o.stringify(ss);
      int64_t id = queueMail(h, ss.str());
      REQUIRE(waitFor([&] { return fs::exists(sink.path() + "/msg1.eml"); }));
      REQUIRE(waitFor([&] { return show(h, id)->getValue<std::string>("status") == "sent"; }));
      auto env = parseObject(readFile(sink.path() + "/msg1.json"));
      CHECK(env->getValue<std::string>("mail_from") == "noreply@codestats.example.org");
      CHECK(env->getValue<std::string>("auth_user") == "mailer");
      auto rcpts = env->getArray("rcpt_tos");
      REQUIRE(rcpts->size() == 2);
      CHECK(rcpts->getElement<std::string>(0) == "one@example.org");
      CHECK(rcpts->getElement<std::string>(1) == "two@example.org");
      std::string eml = readFile(sink.path() + "/msg1.eml");
      CHECK(eml.find("Subject: =?UTF-8?B?") != std::string::npos);
      CHECK(eml.find("To: one@example.org, two@example.org\r\n") != std::string::npos);
      std::string decoded = qpDecode(eml);
      std::string lf;
      for (size_t i = 0; i < decoded.size(); ++i)
        if (!(decoded[i] == '\r' && i + 1 < decoded.size() && decoded[i + 1] == '\n')) lf += decoded[i];
      CHECK(lf.find(text) != std::string::npos);  // the body arrived intact (dot-stuffing undone)
      CHECK(lf.find("<p>Grüße</p>") != std::string::npos);
      CHECK_FALSE(fs::exists(sink.path() + "/msg2.eml"));
    }
  }
}

TEST_CASE("mail: queued mail survives SIGKILL and is delivered after restart; reload loses nothing", "[mail][host]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      TempDir shared;
      std::vector<std::string> dbArgs = db.args;
      if (backend == "sqlite") dbArgs = {"--set", "db.sqlite.path=" + shared.path() + "/mail.db"};
      int port = freePort();  // nothing listens here yet: Mailgun is "down"
      std::string base = "http://127.0.0.1:" + std::to_string(port);
      std::vector<std::string> args =
          dbArgs + mailgunArgs(base) + std::vector<std::string>{"--set", "modules.mail.backoff_ms=100",
                                                                "--set", "modules.mail.max_backoff_ms=400",
                                                                "--set", "modules.mail.max_attempts=100"};
      std::set<std::string> subjects;
      {
        HostProcess h(args);
        for (int i = 0; i < 6; ++i) {
          std::string s = "durable " + std::to_string(i);
          subjects.insert(s);
          queueMail(h, sendJson("u" + std::to_string(i) + "@example.org", s, "body"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a few failed attempts
        CHECK(status(h)["queued"] == 6);
        ::kill(h.pid(), SIGKILL);
        h.stop();
      }
      FakeMailgun mg(port);
      {
        HostProcess h(args);
        REQUIRE(waitFor([&] { return status(h)["sent"] == 6; }, 30000));
        for (const auto& s : subjects) CHECK(mg.accepted(s) == 1);

        // Reload mid-queue: a slow provider, 20 messages, a reload while they are delivered.
        mg.delayMs = 40;
        std::set<std::string> more;
        for (int i = 0; i < 20; ++i) {
          std::string s = "reload " + std::to_string(i);
          more.insert(s);
          queueMail(h, sendJson("r" + std::to_string(i) + "@example.org", s, "body"));
        }
        REQUIRE(waitFor([&] { return status(h)["sent"] >= 8; }));
        HttpReply rl = h.admin("POST", "/admin/modules/mail/reload", "{\"wait\":true}");
        INFO(rl.body);
        CHECK(rl.status == 200);
        REQUIRE(waitFor([&] { return status(h)["sent"] == 26; }, 30000));
        CHECK(status(h)["queued"] == 0);
        // Nothing lost; a reload is not a crash, so nothing is sent twice either.
        for (const auto& s : more) CHECK(mg.accepted(s) == 1);
      }
    }
  }
}

TEST_CASE("mail: templates come from templates_dir and change with a module reload", "[mail][host]") {
  TempDir tpl;
  std::ofstream(tpl.path() + "/password_reset.txt.mustache") << "v1 text {{{username}}} {{{reset_url}}}\n";
  std::ofstream(tpl.path() + "/password_reset.html.mustache") << "<p>v1 {{username}}</p>\n";
  HostProcess h({"--set", "modules=mail", "--set", "modules.mail.poll_ms=50", "--set",
                 "modules.mail.templates_dir=" + tpl.path()});
  std::string req =
      R"({"template":"password_reset","to":"a@example.org","vars":{"username":"ann","reset_url":"https://x.example.org/reset-password/1"}})";
  CmdResult a = cmd(h, "send-template", {req});
  REQUIRE(a.status == 200);
  int64_t first = parseObject(a.output)->getValue<int64_t>("id");
  REQUIRE(waitFor([&] { return show(h, first)->getValue<std::string>("status") == "sent"; }));
  CHECK(qpDecode(readFile(show(h, first)->getValue<std::string>("provider_id")))
            .find("v1 text ann https://x.example.org/reset-password/1") != std::string::npos);
  std::ofstream(tpl.path() + "/password_reset.txt.mustache") << "v2 text {{{username}}}\n";
  REQUIRE(h.admin("POST", "/admin/modules/mail/reload", "{\"wait\":true}").status == 200);
  CmdResult b = cmd(h, "send-template", {req});
  REQUIRE(b.status == 200);
  int64_t second = parseObject(b.output)->getValue<int64_t>("id");
  REQUIRE(waitFor([&] { return show(h, second)->getValue<std::string>("status") == "sent"; }));
  CHECK(qpDecode(readFile(show(h, second)->getValue<std::string>("provider_id"))).find("v2 text ann") !=
        std::string::npos);
}

TEST_CASE("mail: mass mail to every user with an email, throttled, resumable without duplicates", "[mail][host]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      TempDir shared;
      std::string sqlitePath = shared.path() + "/mass.db";
      std::vector<std::string> dbArgs = db.args;
      if (backend == "sqlite") dbArgs = {"--set", "db.sqlite.path=" + sqlitePath};
      std::vector<std::string> args = dbArgs + std::vector<std::string>{"--set", "modules=mail",
                                                                        "--set", "modules.mail.poll_ms=50",
                                                                        "--set", "modules.mail.mass_rate_per_s=3",
                                                                        "--set", "modules.mail.timeout_ms=1000",
                                                                        "--set", "modules.mail.claim_ms=3000"};
      std::ofstream(shared.path() + "/subject.txt") << "Code::Stats news\n";
      std::ofstream(shared.path() + "/body.txt") << "Hello {{username}}, news.\n";
      const std::string subjectFile = shared.path() + "/subject.txt", bodyFile = shared.path() + "/body.txt";
      std::unique_ptr<codestats::host::db::Pool> pool;
      {
        HostProcess h(args);
        CmdResult missing = cmd(h, "mass-send", {subjectFile, bodyFile});
        CHECK(missing.status != 200);
        CHECK_THAT(missing.error, Catch::Contains("users table"));
        // The users are web's: mail reads them through web's read contract (web.accounts v1),
        // so web is loaded for its table; 10 users: 8 with an address, one without, one with
        // an invalid one.
        REQUIRE(h.admin("POST", "/admin/modules/load", R"({"name":"web"})").status == 200);
        pool = openDb(backend, sqlitePath, db);
        for (int i = 1; i <= 10; ++i) {
          std::string email = i == 5   ? "NULL"
                              : i == 7 ? "'broken address'"
                                       : "'user" + std::to_string(i) + "@example.org'";
          pool->acquire()->execScript("INSERT INTO users (id, username, email, inserted_at, updated_at) VALUES (" +
                                      std::to_string(i) + ", 'user" + std::to_string(i) + "', " + email + ", 0, 0)");
        }
        CmdResult started = cmd(h, "mass-send", {subjectFile, bodyFile});
        INFO(started.error);
        REQUIRE(started.status == 200);
        CHECK(parseObject(started.output)->getValue<int64_t>("recipients") == 9);
        // throttled: 3 per second, so after ~1.5 s only part of it is queued
        REQUIRE(waitFor([&] { return scalar(*pool, "SELECT COUNT(*) FROM mail_campaign_recipients") >= 3; }));
        CHECK(scalar(*pool, "SELECT COUNT(*) FROM mail_campaign_recipients") < 9);
        ::kill(h.pid(), SIGKILL);
        h.stop();
      }
      {
        HostProcess h(args);
        REQUIRE(
            waitFor([&] { return scalar(*pool, "SELECT COUNT(*) FROM mail_campaigns WHERE status = 'done'") == 1; }));
        REQUIRE(waitFor([&] { return status(h)["queued"] == 0; }));
        CHECK(scalar(*pool, "SELECT COUNT(*) FROM mail_campaign_recipients") == 9);
        CHECK(scalar(*pool, "SELECT COUNT(*) FROM mail_campaign_recipients WHERE skipped IS NOT NULL") == 1);
        CHECK(scalar(*pool, "SELECT COUNT(*) FROM mail_outbox WHERE tag = 'campaign-1'") == 8);
        CHECK(scalar(*pool, "SELECT COUNT(DISTINCT to_addr) FROM mail_outbox WHERE tag = 'campaign-1'") == 8);
        CHECK(status(h)["sent"] == 8);
        CmdResult list = cmd(h, "campaigns");
        CHECK_THAT(list.output, Catch::Contains("\"queued\":8") && Catch::Contains("\"skipped\":1"));
        int withName = 0;
        for (const auto& e : fs::directory_iterator(h.varDir() + "/mail"))
          withName += qpDecode(readFile(e.path().string())).find("Hello user") != std::string::npos;
        CHECK(withName >= 1);  // the part after the restart was sent by this host
      }
    }
  }
}

TEST_CASE("mail: Mailgun over HTTPS verifies the server against tls_ca_file", "[mail][host][tls]") {
  TestPki pki;
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      // Retries every <= 400 ms: the 100 attempts allowed last ~40 s, longer than the three
      // server swaps below take even under ASan. (At 200 ms an ASan run once ended with the
      // message unsent; running out of attempts during the swaps was a likely cause.)
      const std::vector<std::string> fast{"--set", "modules.mail.backoff_ms=50",
                                          "--set", "modules.mail.max_backoff_ms=400",
                                          "--set", "modules.mail.max_attempts=100"};
      int port = 0;
      int64_t first = 0;
      std::unique_ptr<HostProcess> h;
      {
        // A server whose certificate is NOT signed by the configured CA: every attempt fails
        // with a TLS error recorded on the message, which stays queued (retried).
        FakeMailgun rogue(0, pki.serverContext("rogue"));
        port = rogue.port();
        h = std::make_unique<HostProcess>(
            db.args + mailgunArgs(rogue.baseUrl()) + fast +
            std::vector<std::string>{"--set", "modules.mail.tls_ca_file=" + pki.caFile()});
        first = queueMail(*h, sendJson("tls@example.org", "over https", "body over TLS", R"("html":"<p>TLS</p>")"));
        REQUIRE(waitFor([&] { return show(*h, first)->getValue<int64_t>("attempts") >= 2; }));
        auto m = show(*h, first);
        CHECK(m->getValue<std::string>("status") == "queued");
        INFO(m->getValue<std::string>("last_error"));
        CHECK_THAT(m->getValue<std::string>("last_error"),
                   Catch::StartsWith("mailgun: TLS: ") && Catch::Contains("certificate", Catch::CaseSensitive::No));
        CHECK(rogue.received().empty());  // not one request went over the untrusted connection
      }
      {
        // Signed by the configured CA, but for another host name (127.0.0.2): rejected as
        // well, also on a loopback address. (An attempt racing the swap of the servers on the
        // port may fail with a reset or a timeout instead: also retried.)
        FakeMailgun wrongName(port, pki.serverContext("wrongname"));
        auto lastError = [&] {
          auto m = show(*h, first);
          return m->isNull("last_error") ? std::string() : m->getValue<std::string>("last_error");
        };
        REQUIRE(
            waitFor([&] { return lastError().find("Unacceptable certificate from 127.0.0.1") != std::string::npos; }));
        auto m = show(*h, first);
        CHECK(m->getValue<std::string>("status") == "queued");
        INFO(m->getValue<std::string>("last_error"));
        CHECK_THAT(m->getValue<std::string>("last_error"), Catch::StartsWith("mailgun: TLS: "));
        CHECK(wrongName.received().empty());
      }
      {
        // The right certificate on the same port: the retried message goes through, once.
        FakeMailgun mg(port, pki.serverContext("server"));
        // The message's state is printed if it is never sent.
        auto requireSent = [&](int64_t id) {
          if (waitFor([&] { return show(*h, id)->getValue<std::string>("status") == "sent"; })) return;
          std::ostringstream state;
          show(*h, id)->stringify(state);
          INFO("message " << id << ": " << state.str());
          FAIL("never sent");
        };
        requireSent(first);
        int64_t second = queueMail(*h, sendJson("tls2@example.org", "over https 2", "second body"));
        requireSent(second);
        CHECK(mg.accepted("over https") == 1);
        CHECK(mg.accepted("over https 2") == 1);
        auto got = mg.forSubject("over https");
        REQUIRE(got.size() == 1);
        CHECK(got[0].authOk);
        CHECK(got[0].path == "/v3/mg.example.org/messages");
        CHECK(got[0].field("to") == "tls@example.org");
        CHECK(got[0].field("text") == "body over TLS");
        CHECK(got[0].field("html") == "<p>TLS</p>");
        CHECK_THAT(show(*h, first)->getValue<std::string>("provider_id"), Catch::EndsWith("@mg.example.org>"));
        CHECK(show(*h, first)->isNull("last_error"));
        CHECK(show(*h, first)->getValue<int64_t>("attempts") >= 4);  // >= 2 rogue, >= 1 wrong name, the accepted one
        h.reset();

        // Without tls_ca_file the system store is used, which does not know the test CA:
        // there is no "verify none" default.
        HostProcess sys(db.args + mailgunArgs(mg.baseUrl()) + fast);
        int64_t id = queueMail(sys, sendJson("sys@example.org", "system store", "x"));
        REQUIRE(waitFor([&] { return show(sys, id)->getValue<int64_t>("attempts") >= 1; }));
        auto m = show(sys, id);
        CHECK(m->getValue<std::string>("status") == "queued");
        CHECK_THAT(m->getValue<std::string>("last_error"), Catch::StartsWith("mailgun: TLS: "));
        CHECK(mg.forSubject("system store").empty());
      }
    }
  }
}

TEST_CASE("mail: tls_ca_file is validated at start", "[mail][host][tls]") {
  TempDir dir;
  std::ofstream(dir.path() + "/garbage.pem") << "not a certificate\n";
  std::vector<std::string> base{"--set", "var_dir=" + dir.path(),      "--set", "http.port=0", "--set", "admin.port=0",
                                "--set", "module_dir=" + modulesDir(), "--set", "modules=mail"};
  std::vector<std::string> mailgun{
      "--set", "modules.mail.transport=mailgun", "--set", "modules.mail.domain=mg.example.org",
      "--set", "modules.mail.api_key=k",         "--set", "modules.mail.from=a@example.org"};
  std::vector<std::string> smtp{"--set", "modules.mail.transport=smtp",    "--set", "modules.mail.smtp_host=127.0.0.1",
                                "--set", "modules.mail.from=a@example.org"};
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  std::vector<Case> cases{
      {mailgun + std::vector<std::string>{"--set", "modules.mail.tls_ca_file=" + dir.path() + "/missing.pem"},
       "modules.mail.tls_ca_file: '" + dir.path() + "/missing.pem' is not a file"},
      {smtp + std::vector<std::string>{"--set", "modules.mail.tls_ca_file=" + dir.path()},
       "modules.mail.tls_ca_file: '" + dir.path() + "' is not a file"},
      {smtp + std::vector<std::string>{"--set", "modules.mail.tls_ca_file=" + dir.path() + "/garbage.pem"},
       "modules.mail.tls_ca_file: no CA certificate could be loaded"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    DYNAMIC_SECTION("case " << i) {  // a stable name: the paths differ from run to run
      std::string out;
      int rc = runHostToExit(base + cases[i].args, out);
      CHECK(rc != 0);
      CHECK_THAT(out, Catch::Contains(cases[i].expect));
    }
  }
}

TEST_CASE("mail: SMTP with STARTTLS and AUTH against a real SMTP server", "[mail][host][tls]") {
  TestPki pki;
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      TempDir sink;
      int port = freePort();
      Child server({"/usr/bin/python3", CODESTATS_MAIL_TEST_DIR "/smtp_sink.py", std::to_string(port), sink.path(),
                    "mailer", "s3cret pass", pki.file("server.crt"), pki.file("server.key")});
      REQUIRE(waitFor([&] { return fs::exists(sink.path() + "/ready"); }, 15000));
      std::vector<std::string> smtpArgs{
          "--set", "modules=mail",
          "--set", "modules.mail.transport=smtp",
          "--set", "modules.mail.smtp_host=127.0.0.1",
          "--set", "modules.mail.smtp_port=" + std::to_string(port),
          "--set", "modules.mail.smtp_starttls=true",
          "--set", "modules.mail.smtp_user=mailer",
          "--set", "modules.mail.smtp_password=s3cret pass",
          "--set", "modules.mail.smtp_auth=" + std::string(backend == "sqlite" ? "login" : "plain"),
          "--set", "modules.mail.from=Code::Stats <noreply@codestats.example.org>",
          "--set", "modules.mail.poll_ms=50",
          "--set", "modules.mail.backoff_ms=50",
          "--set", "modules.mail.max_backoff_ms=200",
          "--set", "modules.mail.max_attempts=100"};
      {
        HostProcess h(db.args + smtpArgs +
                      std::vector<std::string>{"--set", "modules.mail.tls_ca_file=" + pki.caFile()});
        std::string text = "STARTTLS line 1\n.dot line\n\nGrüße \xF0\x9F\x98\x82\n" + std::string(120, 'y') + "\n";
        Poco::JSON::Object o;
        o.set("to", "secure@example.org");
        o.set("subject", "SMTP über TLS");
        o.set("text", text);
        o.set("html", "<p>sicher</p>");
        std::ostringstream ss;
        o.stringify(ss);
        int64_t id = queueMail(h, ss.str());
        REQUIRE(waitFor([&] { return fs::exists(sink.path() + "/msg1.eml"); }));
        REQUIRE(waitFor([&] { return show(h, id)->getValue<std::string>("status") == "sent"; }));
        CHECK(show(h, id)->getValue<int64_t>("attempts") == 1);
        auto env = parseObject(readFile(sink.path() + "/msg1.json"));
        CHECK(env->getValue<std::string>("auth_user") == "mailer");
        CHECK(env->getValue<bool>("auth_tls"));  // AUTH happened after STARTTLS
        CHECK(env->getValue<bool>("data_tls"));
        CHECK(env->getValue<std::string>("mail_from") == "noreply@codestats.example.org");
        auto rcpts = env->getArray("rcpt_tos");
        REQUIRE(rcpts->size() == 1);
        CHECK(rcpts->getElement<std::string>(0) == "secure@example.org");
        std::string eml = readFile(sink.path() + "/msg1.eml");
        CHECK(eml.find("To: secure@example.org\r\n") != std::string::npos);
        std::string decoded = qpDecode(eml);
        std::string lf;
        for (size_t i = 0; i < decoded.size(); ++i)
          if (!(decoded[i] == '\r' && i + 1 < decoded.size() && decoded[i + 1] == '\n')) lf += decoded[i];
        CHECK(lf.find(text) != std::string::npos);  // intact
        CHECK(lf.find("<p>sicher</p>") != std::string::npos);
        CHECK_FALSE(fs::exists(sink.path() + "/msg2.eml"));
      }
      {
        // Without tls_ca_file (the system store) the sink's certificate is not trusted:
        // the message stays queued with a TLS error and nothing is sent in clear.
        HostProcess h(db.args + smtpArgs);
        int64_t id = queueMail(h, sendJson("untrusted@example.org", "untrusted", "x"));
        REQUIRE(waitFor([&] { return show(h, id)->getValue<int64_t>("attempts") >= 2; }));
        auto m = show(h, id);
        CHECK(m->getValue<std::string>("status") == "queued");
        INFO(m->getValue<std::string>("last_error"));
        CHECK_THAT(m->getValue<std::string>("last_error"), Catch::StartsWith("smtp: TLS: "));
        CHECK_FALSE(fs::exists(sink.path() + "/msg2.eml"));
      }
    }
  }
}

TEST_CASE("mail: SMTP STARTTLS with a certificate from another CA is retried, not accepted", "[mail][host][tls]") {
  TestPki pki;
  TempDir sink;
  int port = freePort();
  Child server({"/usr/bin/python3", CODESTATS_MAIL_TEST_DIR "/smtp_sink.py", std::to_string(port), sink.path(),
                "mailer", "pw", pki.file("rogue.crt"), pki.file("rogue.key")});
  REQUIRE(waitFor([&] { return fs::exists(sink.path() + "/ready"); }, 15000));
  HostProcess h({"--set", "modules=mail",
                 "--set", "modules.mail.transport=smtp",
                 "--set", "modules.mail.smtp_host=127.0.0.1",
                 "--set", "modules.mail.smtp_port=" + std::to_string(port),
                 "--set", "modules.mail.smtp_user=mailer",
                 "--set", "modules.mail.smtp_password=pw",
                 "--set", "modules.mail.from=noreply@codestats.example.org",
                 "--set", "modules.mail.tls_ca_file=" + pki.caFile(),
                 "--set", "modules.mail.poll_ms=50",
                 "--set", "modules.mail.backoff_ms=50",
                 "--set", "modules.mail.max_backoff_ms=200",
                 "--set", "modules.mail.max_attempts=100"});
  int64_t id = queueMail(h, sendJson("rogue@example.org", "rogue", "x"));
  REQUIRE(waitFor([&] { return show(h, id)->getValue<int64_t>("attempts") >= 2; }));
  auto m = show(h, id);
  CHECK(m->getValue<std::string>("status") == "queued");
  INFO(m->getValue<std::string>("last_error"));
  CHECK_THAT(m->getValue<std::string>("last_error"),
             Catch::StartsWith("smtp: TLS: ") && Catch::Contains("certificate", Catch::CaseSensitive::No));
  CHECK_FALSE(fs::exists(sink.path() + "/msg1.eml"));
}
