// Startup: configuration errors are one line naming the key and a non-zero exit;
// --print-config shows the effective values; modules that do not load stop the start.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "abi_expectations.hpp"
#include "host_process.hpp"

using namespace codestats::test;

namespace {

int firstLineCount(const std::string& s) {
  int lines = 0;
  for (char c : s) lines += c == '\n';
  return lines;
}

}  // namespace

TEST_CASE("bad configuration exits non-zero with one line naming the key", "[config]") {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  std::string file = dir.path() + "/bad.conf";
  std::ofstream(file) << "[http]\nport = 8080\nbogus = 1\n";
  std::string badValue = dir.path() + "/badvalue.conf";
  std::ofstream(badValue) << "http.port = eighty\n";
  std::vector<Case> cases{
      {{"--config", file}, "unknown key 'http.bogus'"},
      {{"--config", badValue}, "http.port: expected an integer"},
      {{"--config", dir.path() + "/missing.conf"}, "cannot read config file"},
      {{"--set", "http.port=99999"}, "http.port"},
      {{"--set", "nonsense.key=1"}, "unknown key 'nonsense.key'"},
      {{"--set", "db.backend=oracle"}, "db.backend: expected one of sqlite, postgres"},
      {{"--set", "db.backend=postgres"}, "db.postgres.conninfo"},
      {{"--set", "log.level=chatty"}, "log.level"},
      {{"--bogus-flag"}, "unknown argument"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.expect) {
      std::string out;
      int rc = runHostToExit(c.args, out);
      CHECK(rc == 2);
      CHECK_THAT(out, Catch::Contains(c.expect));
      if (c.args[0] != "--bogus-flag") CHECK(firstLineCount(out) == 1);
    }
  }
}

TEST_CASE("environment variables override the file, --set overrides both", "[config]") {
  TempDir dir;
  std::string file = dir.path() + "/c.conf";
  std::ofstream(file) << "http.port = 1111\nworkers = 3\n";
  std::string out;
  int rc = runHostToExit({"--config", file, "--set", "workers=5", "--print-config"}, out);
  CHECK(rc == 0);
  CHECK_THAT(out, Catch::Contains("http.port = 1111"));
  CHECK_THAT(out, Catch::Contains("workers = 5"));
  CHECK_THAT(out, Catch::Contains("db.backend = sqlite"));
}

TEST_CASE("--print-config redacts secrets", "[config]") {
  std::string out;
  int rc =
      runHostToExit({"--set", "admin.token=supersecret", "--set", "modules.mail.api_key=k3y", "--print-config"}, out);
  CHECK(rc == 0);
  CHECK_THAT(out, !Catch::Contains("supersecret"));
  CHECK_THAT(out, !Catch::Contains("k3y"));
  CHECK_THAT(out, Catch::Contains("admin.token = <redacted>"));
}

TEST_CASE("a configured module that cannot load stops the start with a reason", "[config]") {
  TempDir dir;
  std::string out;
  int rc = runHostToExit({"--set", "var_dir=" + dir.path(), "--set", "http.port=0", "--set", "admin.port=0", "--set",
                          "modules=hello", "--set", "modules.hello.artifact=" + fixture("bad_abi_major")},
                         out);
  CHECK(rc == 1);
  CHECK_THAT(out, Catch::Contains("cannot load module 'hello': " + kBadMajor));
}

TEST_CASE("the default module set starts with no configuration", "[config]") {
  // Every module of the product loads from the build's module directory.
  HostProcess h({"--set", "modules=web,ingest,channels,mail,cache"});
  for (const char* m : {"ingest", "web", "channels", "mail", "cache"}) {
    auto r = h.get(std::string("/health/") + m);
    INFO(m);
    CHECK(r.status == 200);
    CHECK_THAT(r.body, Catch::Contains(std::string("\"module\":\"") + m + "\""));
  }
}

TEST_CASE("SIGHUP reconciles the loaded modules with the configuration", "[config]") {
  TempDir dir;
  std::string file = dir.path() + "/c.conf";
  std::ofstream(file) << "modules = hello\nmodules.hello.artifact = " << fixture("hello_v1") << "\n";
  HostProcess h({"--config", file});
  CHECK(h.get("/hello").body == "v1");
  std::ofstream(file) << "modules = hello, ingest\nmodules.hello.artifact = " << fixture("hello_v2") << "\n";
  ::kill(h.pid(), SIGHUP);
  for (int i = 0; i < 1500 && h.get("/health/ingest").status != 200; ++i) ::usleep(10000);
  CHECK(h.get("/hello").body == "v2");
  CHECK(h.get("/health/ingest").status == 200);
  std::ofstream(file) << "modules = ingest\n";
  ::kill(h.pid(), SIGHUP);
  for (int i = 0; i < 1500 && h.get("/hello").status != 404; ++i) ::usleep(10000);
  CHECK(h.get("/hello").status == 404);
}

TEST_CASE("an admin API others could reach or guess does not start without an explicit override",
          "[config][admin][security]") {
  TempDir dir;
  std::string tokenFile = dir.path() + "/short.token";
  std::ofstream(tokenFile) << "0123456789\n";
  ::chmod(tokenFile.c_str(), 0600);
  struct Case {
    std::string label;
    std::vector<std::string> args;
    std::string expect;
  };
  for (const auto& c : std::vector<Case>{
           {"public IPv4", {"--set", "admin.host=0.0.0.0"}, "admin.host: '0.0.0.0' is not a loopback address"},
           {"public IPv6", {"--set", "admin.host=::"}, "admin.allow_public = true"},
           {"short admin.token",
            {"--set", "admin.token=too-short"},
            "admin.token: the admin token from admin.token is 9 bytes"},
           {"short token file",
            {"--set", "admin.token_file=" + tokenFile},
            "the admin token from " + tokenFile + " is 10 bytes"},
           {"names the override", {"--set", "admin.token=too-short"}, "admin.allow_short_token = true"},
       }) {
    DYNAMIC_SECTION(c.label) {  // (a stable name: the temporary path differs per run)
      std::vector<std::string> args{
          "--set",   "var_dir=" + dir.path() + "/var", "--set", "http.port=0", "--set", "admin.port=0", "--set",
          "modules="};
      args.insert(args.end(), c.args.begin(), c.args.end());
      std::string out;
      int rc = runHostToExit(args, out, 10);  // a host that starts anyway is killed: -1
      CHECK(rc == 2);
      CHECK_THAT(out, Catch::Contains(c.expect));
      CHECK(firstLineCount(out) == 1);
    }
  }
}

TEST_CASE("the admin overrides each accept their own risk; the generated token passes", "[config][admin][security]") {
  HostProcess exposed({"--set", "admin.host=0.0.0.0", "--set", "admin.allow_public=true", "--set",
                       "admin.token=too-short", "--set", "admin.allow_short_token=true"});
  CHECK(exposed.admin("GET", "/admin/modules", "", "too-short").status == 200);
  HostProcess generated;
  CHECK(generated.token().size() >= 32);
  CHECK(generated.admin("GET", "/admin/modules").status == 200);
}
