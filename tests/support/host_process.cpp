#include "host_process.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "db/database.hpp"

namespace codestats::test {

namespace fs = std::filesystem;

std::string hostBinary() { return CODESTATS_TEST_BIN_DIR "/codestatsd"; }
std::string ctlBinary() { return CODESTATS_TEST_BIN_DIR "/codestatsctl"; }
std::string fixture(const std::string& name) { return CODESTATS_TEST_FIXTURES_DIR "/" + name + ".so"; }
std::string modulesDir() { return CODESTATS_TEST_MODULES_DIR; }

TempDir::TempDir() {
  std::string t = (fs::temp_directory_path() / "codestats-test.XXXXXX").string();
  if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
  path_ = t;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sanitizer builds: a report from the host child lands in its log (UBSan always writes to
// stderr; ASan/LSan do unless ASAN_OPTIONS has log_path), and the log is deleted with the
// temporary directory. When CODESTATS_SANITIZER_LOG_DIR is set, a log that contains a
// sanitizer report is copied there (scripts/test.sh fails the run if any is found).
void keepSanitizerReport(const std::string& logPath, const std::string& what) {
  const char* dir = std::getenv("CODESTATS_SANITIZER_LOG_DIR");
  if (!dir || !*dir) return;
  std::string text = readFile(logPath);
  static const char* const markers[] = {"runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                        "SUMMARY: AddressSanitizer", "SUMMARY: UndefinedBehaviorSanitizer"};
  if (std::none_of(std::begin(markers), std::end(markers),
                   [&](const char* m) { return text.find(m) != std::string::npos; }))
    return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string dest = std::string(dir) + "/" + what + "." + std::to_string(::getpid()) + "." +
                     fs::path(logPath).parent_path().filename().string() + ".log";
  fs::copy_file(logPath, dest, fs::copy_options::overwrite_existing, ec);
  std::fprintf(stderr, "sanitizer report in the %s log, kept as %s\n", what.c_str(), dest.c_str());
}

}  // namespace

pid_t spawnProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   const std::string& logPath) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (!logPath.empty()) {
      int fd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
    }
    ::close_range(3, ~0U, 0);
    // the test process may have signals blocked; the host expects a clean mask
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

HostProcess::HostProcess(std::vector<std::string> args, std::vector<std::string> env) : varPath_(var_.path()) {
  start(std::move(args), env);
}

HostProcess::HostProcess(const std::string& varDir, std::vector<std::string> args, std::vector<std::string> env)
    : varPath_(varDir) {
  std::error_code ec;
  fs::remove(varPath_ + "/codestatsd.ports", ec);
  start(std::move(args), env);
}

void HostProcess::start(std::vector<std::string> args, const std::vector<std::string>& env) {
  std::vector<std::string> argv{hostBinary(),   "--set", "var_dir=" + varPath_,       "--set", "http.port=0", "--set",
                                "admin.port=0", "--set", "module_dir=" + modulesDir()};
  // No modules unless the test names them (in a config file or with --set modules=...).
  if (std::find(args.begin(), args.end(), "--config") == args.end()) {
    argv.push_back("--set");
    argv.push_back("modules=");
  }
  for (auto& a : args) argv.push_back(a);
  pid_ = spawnProcess(argv, env, varPath_ + "/host.log");
  std::string ports = varPath_ + "/codestatsd.ports";
  // Generous: a sanitizer build on a busy machine starts slowly; only a stuck start fails.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(ports)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("codestatsd exited during startup:\n" + log());
    }
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("codestatsd did not start:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto obj = Poco::JSON::Parser().parse(readFile(ports)).extract<Poco::JSON::Object::Ptr>();
  httpPort_ = obj->getValue<int>("http");
  adminPort_ = obj->getValue<int>("admin");
  token_ = readFile(varPath_ + "/admin.token");
  while (!token_.empty() && (token_.back() == '\n' || token_.back() == ' ')) token_.pop_back();
}

HostProcess::~HostProcess() {
  if (pid_ > 0) stop();
  keepSanitizerReport(varPath_ + "/host.log", "host");
}

bool HostProcess::alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exitStatus_ = status;
    pid_ = -1;
    return false;
  }
  return true;
}

int HostProcess::stop() {
  if (pid_ <= 0) return exitStatus_;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  exitStatus_ = status;
  return status;
}

int HostProcess::kill() {
  if (pid_ <= 0) return exitStatus_;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  exitStatus_ = status;
  return status;
}

std::string HostProcess::log() const { return readFile(varPath_ + "/host.log"); }

int HostProcess::followSuccessor() {
  if (pid_ <= 0) throw std::runtime_error("no host process to follow");
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the upgraded host did not exit:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto obj = Poco::JSON::Parser().parse(readFile(varPath_ + "/codestatsd.ports")).extract<Poco::JSON::Object::Ptr>();
  pid_ = obj->getValue<pid_t>("pid");
  httpPort_ = obj->getValue<int>("http");
  adminPort_ = obj->getValue<int>("admin");
  return status;
}

void adoptOrphans() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

HttpReply httpRequest(int port, const std::string& method, const std::string& target, const std::string& body,
                      const std::map<std::string, std::string>& headers) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT")
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpReply r;
  r.status = resp.getStatus();
  for (const auto& [k, v] : resp) r.headers[Poco::toLower(k)] = v;
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

HttpReply HostProcess::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers) const {
  return httpRequest(httpPort_, method, target, body, headers);
}

HttpReply HostProcess::admin(const std::string& method, const std::string& path, const std::string& body,
                             const std::string& token) const {
  std::map<std::string, std::string> h;
  std::string t = token == "<default>" ? token_ : token;
  if (!t.empty()) h["Authorization"] = "Bearer " + t;
  if (method == "POST") h["Content-Type"] = "application/json";
  return httpRequest(adminPort_, method, path, body, h);
}

int HostProcess::ctl(const std::vector<std::string>& args, std::string& out) const {
  std::string cmd = ctlBinary() + " --var-dir '" + varPath_ + "'";
  for (const auto& a : args) {
    std::string quoted;  // single quotes for the shell, an inner ' as '\'' (conninfo options)
    for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += " '" + quoted + "'";
  }
  cmd += " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  out.clear();
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int runHostToExit(const std::vector<std::string>& args, std::string& output, int timeoutSeconds) {
  TempDir dir;
  std::vector<std::string> argv{hostBinary()};
  for (const auto& a : args) argv.push_back(a);
  std::string logPath = dir.path() + "/out.log";
  pid_t pid = spawnProcess(argv, {}, logPath);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      output = readFile(logPath);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  output = readFile(logPath);
  keepSanitizerReport(logPath, "host");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string rawExchange(int port, const std::string& bytes, int timeoutMs) {
  Poco::Net::StreamSocket s;
  s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  s.setReceiveTimeout(Poco::Timespan(timeoutMs * 1000));
  s.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string out;
  char buf[4096];
  try {
    for (;;) {
      int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  } catch (const Poco::TimeoutException&) {
  } catch (const Poco::Net::NetException&) {
  }
  return out;
}

PgSchema::PgSchema() {
  const char* uri = std::getenv("PGTEST_URI");
  if (!uri || !*uri) throw std::runtime_error("PGTEST_URI is not set");
  base_ = uri;
  std::random_device rd;
  schema_ = "host_" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000);
  codestats::host::db::DbConfig c;
  c.backend = codestats::host::db::Backend::Postgres;
  c.postgresConninfo = base_;
  c.poolSize = 1;
  codestats::host::db::Pool::open(c)->acquire()->execScript("CREATE SCHEMA " + schema_);
  conninfo_ = base_ + " options='-csearch_path=" + schema_ + " -cTimeZone=UTC'";
}

PgSchema::~PgSchema() {
  try {
    codestats::host::db::DbConfig c;
    c.backend = codestats::host::db::Backend::Postgres;
    c.postgresConninfo = base_;
    c.poolSize = 1;
    codestats::host::db::Pool::open(c)->acquire()->execScript("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  } catch (...) {
  }
}

std::vector<std::string> testBackends() {
  std::vector<std::string> b{"sqlite"};
  const char* uri = std::getenv("PGTEST_URI");
  const char* ci = std::getenv("CI");
  if ((uri && *uri) || (ci && *ci)) b.push_back("postgres");
  return b;
}

}  // namespace codestats::test
