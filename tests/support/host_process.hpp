// Starts a real codestatsd on ephemeral ports for black-box tests, and talks HTTP to it.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace codestats::test {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Paths baked in by CMake.
std::string hostBinary();
std::string ctlBinary();
std::string fixture(const std::string& name);  // <fixtures dir>/<name>.so
std::string modulesDir();

// fork + execv of argv[0] with `env` added (NAME=value) and stdout/stderr appended to
// logPath (unless empty). The child keeps only descriptors 0-2: the test process's sockets
// are mostly not close-on-exec (Poco opens them without it), and a listening socket of a
// test's stand-in server inherited by a long-lived child stays open after the stand-in
// closes it: connections to a new stand-in on the same port (SO_REUSEPORT) then land in
// the orphan's queue and time out.
pid_t spawnProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                   const std::string& logPath = "");

// A fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class HostProcess {
 public:
  // Starts codestatsd with --set var_dir=<temp> http.port=0 admin.port=0 modules= plus
  // `args` (more --set pairs etc.). Waits for the ports file; throws if it never appears.
  explicit HostProcess(std::vector<std::string> args = {}, std::vector<std::string> env = {});
  // The same, on an existing var_dir (a restart: its database, secrets and state are kept;
  // a ports file left by a killed host is removed first).
  HostProcess(const std::string& varDir, std::vector<std::string> args, std::vector<std::string> env = {});
  ~HostProcess();  // SIGTERM, then SIGKILL after 30 s
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  int httpPort() const { return httpPort_; }
  int adminPort() const { return adminPort_; }
  const std::string& token() const { return token_; }
  const std::string& varDir() const { return varPath_; }
  pid_t pid() const { return pid_; }
  bool alive();
  // Sends SIGTERM and waits; returns the exit status as from waitpid (or -1).
  int stop();
  // SIGKILL, no shutdown at all (crash tests); returns the status as from waitpid.
  int kill();
  std::string log() const;
  // After an upgrade (codestatsctl upgrade, SIGUSR2): waits for this process to exit and
  // returns its status as from waitpid, then follows the successor the ports file names
  // (same ports). Call adoptOrphans() before starting the host, so that the successor,
  // orphaned when its parent exits, can be waited for.
  int followSuccessor();

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {},
                    const std::map<std::string, std::string>& headers = {}) const;
  HttpReply get(const std::string& target) const { return request("GET", target); }
  HttpReply admin(const std::string& method, const std::string& path, const std::string& body = {},
                  const std::string& token = "<default>") const;
  // codestatsctl with --var-dir set; returns exit code, output in `out`
  int ctl(const std::vector<std::string>& args, std::string& out) const;

 private:
  void start(std::vector<std::string> args, const std::vector<std::string>& env);

  TempDir var_;
  std::string varPath_;
  pid_t pid_ = -1;
  int httpPort_ = 0, adminPort_ = 0;
  std::string token_;
  int exitStatus_ = -1;
};

// Makes this process the reaper of its descendants' orphans (PR_SET_CHILD_SUBREAPER):
// an upgraded host's successor becomes its child when the old host exits.
void adoptOrphans();

// Runs codestatsd to completion with `args` (for startup-error tests); returns the exit
// code and the combined output.
int runHostToExit(const std::vector<std::string>& args, std::string& output, int timeoutSeconds = 20);

HttpReply httpRequest(int port, const std::string& method, const std::string& target, const std::string& body,
                      const std::map<std::string, std::string>& headers);
// Sends raw bytes and returns the raw response (until close or timeout).
std::string rawExchange(int port, const std::string& bytes, int timeoutMs = 3000);

// PostgreSQL for host tests: a fresh schema on PGTEST_URI; the conninfo selects it.
class PgSchema {
 public:
  PgSchema();
  ~PgSchema();
  const std::string& conninfo() const { return conninfo_; }

 private:
  std::string base_, schema_, conninfo_;
};

// The DB backends every DB test runs on: "sqlite", and "postgres" when PGTEST_URI is set
// (or when CI is set: then a missing PGTEST_URI fails the test).
std::vector<std::string> testBackends();

}  // namespace codestats::test
