// Tests for host/src/config/config.{hpp,cpp}: loadConfig(ConfigSources) and printConfig.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "support/test_util.hpp"

using namespace codestats::host;
using codestats::host::test::TempDir;

namespace {

HostConfig fromFile(const std::string& content) {
  TempDir dir;
  ConfigSources src;
  src.file = dir.write("host.conf", content);
  return loadConfig(src);
}

HostConfig fromSets(std::vector<std::string> sets) {
  ConfigSources src;
  src.sets = std::move(sets);
  return loadConfig(src);
}

// Runs loadConfig and returns the ConfigError message; fails the test if nothing is thrown
// or if something other than a ConfigError is thrown.
std::string errorOf(const ConfigSources& src) {
  try {
    loadConfig(src);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("loadConfig did not throw a ConfigError");
  return {};
}

std::string fileError(const std::string& content) {
  TempDir dir;
  ConfigSources src;
  src.file = dir.write("host.conf", content);
  return errorOf(src);
}

std::string setError(const std::string& set) {
  ConfigSources src;
  src.sets = {set};
  return errorOf(src);
}

std::string envError(const std::string& entry) {
  ConfigSources src;
  src.environ = {entry};
  return errorOf(src);
}

using Catch::Matchers::Contains;

}  // namespace

TEST_CASE("config: defaults with no sources", "[config]") {
  HostConfig c = loadConfig(ConfigSources{});
  CHECK(c.httpPort == 8080);
  CHECK(c.httpHost == "127.0.0.1");
  CHECK(c.adminHost == "127.0.0.1");
  CHECK(c.adminPort == 8081);
  CHECK(c.modules == std::vector<std::string>{"web", "ingest", "channels", "mail", "cache"});
  CHECK(c.dbBackend == "sqlite");
  CHECK(c.dbSqliteSynchronous == "FULL");
  CHECK(c.logLevel == "info");
  CHECK(c.varDir == "var");
  CHECK(c.workers == 4);
  CHECK_FALSE(c.loaderStrictDependencies);
  CHECK(c.moduleSettings.empty());
  CHECK(c.adminToken.empty());
  CHECK(c.secretKeyBase.empty());
}

TEST_CASE("config: environment entries that are not CODESTATSD_* are ignored", "[config]") {
  ConfigSources src;
  src.environ = {"PATH=/usr/bin", "HOME=/root", "HTTP__PORT=1", "CODESTATSD", "codestatsd_http__port=1"};
  HostConfig c = loadConfig(src);
  CHECK(c.httpPort == 8080);
}

TEST_CASE("config: file parsing", "[config]") {
  SECTION("key = value at top level") {
    HostConfig c = fromFile("http.port = 9001\nhttp.host=0.0.0.0\nworkers   =   7   \n");
    CHECK(c.httpPort == 9001);
    CHECK(c.httpHost == "0.0.0.0");
    CHECK(c.workers == 7);
  }
  SECTION("section headers prefix the keys that follow") {
    HostConfig c = fromFile(
        "var_dir = /srv/cs\n"
        "[http]\n"
        "port = 9002\n"
        "max_threads = 12\n"
        "[ db.sqlite ]\n"
        "synchronous = NORMAL\n"
        "path = /srv/cs/x.db\n"
        "[admin]\n"
        "port = 9100\n");
    CHECK(c.varDir == "/srv/cs");
    CHECK(c.httpPort == 9002);
    CHECK(c.httpMaxThreads == 12);
    CHECK(c.dbSqliteSynchronous == "NORMAL");
    CHECK(c.dbSqlitePath == "/srv/cs/x.db");
    CHECK(c.adminPort == 9100);
    CHECK(c.httpHost == "127.0.0.1");  // untouched keys keep their default
  }
  SECTION("a key inside a section is not also applied at top level") {
    // 'workers' inside [http] becomes http.workers, which is unknown.
    std::string msg = fileError("[http]\nworkers = 3\n");
    CHECK_THAT(msg, Contains("http.workers"));
  }
  SECTION("comments with # and ; and blank lines are skipped") {
    HostConfig c = fromFile(
        "# a comment\n"
        "; another comment\n"
        "\n"
        "   \n"
        "   # indented comment\n"
        "\t; indented comment\n"
        "http.port = 9003\n"
        "# http.port = 1\n"
        "; http.port = 2\n");
    CHECK(c.httpPort == 9003);
  }
  SECTION("quoted values lose their quotes, inner content is kept verbatim") {
    HostConfig c = fromFile(
        "http.host = \"0.0.0.0\"\n"
        "admin.token = \"  spaced # not a comment ; \"\n"
        "var_dir = \"\"  \n"
        "var_dir = \"/v\"\n");
    CHECK(c.httpHost == "0.0.0.0");
    CHECK(c.adminToken == "  spaced # not a comment ; ");
    CHECK(c.varDir == "/v");
  }
  SECTION("a lone quote character is not stripped") {
    HostConfig c = fromFile("admin.token = \"\n");
    CHECK(c.adminToken == "\"");
  }
  SECTION("value may contain '='") {
    HostConfig c = fromFile("db.postgres.conninfo = host=db user=cs\n");
    CHECK(c.dbPostgresConninfo == "host=db user=cs");
  }
  SECTION("CRLF line endings") {
    HostConfig c = fromFile("[http]\r\nport = 9004\r\n");
    CHECK(c.httpPort == 9004);
  }
  SECTION("later lines override earlier ones") {
    HostConfig c = fromFile("http.port = 1\nhttp.port = 2\n");
    CHECK(c.httpPort == 2);
  }
  SECTION("booleans accept true/false/yes/no/on/off/1/0 in any case") {
    CHECK(fromFile("loader.strict_dependencies = true\n").loaderStrictDependencies);
    CHECK(fromFile("loader.strict_dependencies = YES\n").loaderStrictDependencies);
    CHECK(fromFile("loader.strict_dependencies = On\n").loaderStrictDependencies);
    CHECK(fromFile("loader.strict_dependencies = 1\n").loaderStrictDependencies);
    CHECK_FALSE(fromFile("loader.strict_dependencies = false\n").loaderStrictDependencies);
    CHECK_FALSE(fromFile("loader.strict_dependencies = off\n").loaderStrictDependencies);
    CHECK_FALSE(fromFile("loader.strict_dependencies = NO\n").loaderStrictDependencies);
    CHECK_FALSE(fromFile("loader.strict_dependencies = 0\n").loaderStrictDependencies);
  }
  SECTION("enums are case-insensitive and stored canonically") {
    HostConfig c = fromFile("db.sqlite.synchronous = normal\nlog.level = DEBUG\n");
    CHECK(c.dbSqliteSynchronous == "NORMAL");
    CHECK(c.logLevel == "debug");
  }
  SECTION("integer bounds are inclusive") {
    CHECK(fromFile("http.port = 0\n").httpPort == 0);
    CHECK(fromFile("http.port = 65535\n").httpPort == 65535);
    CHECK(fromFile("http.max_body_bytes = 1073741824\n").httpMaxBodyBytes == (int64_t(1) << 30));
  }
}

TEST_CASE("config: precedence file < environment < --set", "[config]") {
  TempDir dir;
  ConfigSources src;
  src.file = dir.write("host.conf", "http.port = 7000\nworkers = 2\nlog.level = warn\n");

  SECTION("file alone") {
    HostConfig c = loadConfig(src);
    CHECK(c.httpPort == 7000);
    CHECK(c.workers == 2);
  }
  SECTION("environment beats the file") {
    src.environ = {"CODESTATSD_HTTP__PORT=9000", "CODESTATSD_LOG__LEVEL=error"};
    HostConfig c = loadConfig(src);
    CHECK(c.httpPort == 9000);
    CHECK(c.logLevel == "error");
    CHECK(c.workers == 2);  // not overridden
  }
  SECTION("--set beats the environment and the file") {
    src.environ = {"CODESTATSD_HTTP__PORT=9000"};
    src.sets = {"http.port=9500", "workers=9"};
    HostConfig c = loadConfig(src);
    CHECK(c.httpPort == 9500);
    CHECK(c.workers == 9);
    CHECK(c.logLevel == "warn");
  }
  SECTION("later --set wins over an earlier one") {
    src.sets = {"http.port=1", "http.port=2"};
    CHECK(loadConfig(src).httpPort == 2);
  }
  SECTION("--set key is trimmed") {
    src.sets = {" http.port =9600"};
    CHECK(loadConfig(src).httpPort == 9600);
  }
}

TEST_CASE("config: environment names map to keys", "[config]") {
  ConfigSources src;
  src.environ = {"CODESTATSD_VAR_DIR=/data", "CODESTATSD_DB__SQLITE__SYNCHRONOUS=normal",
                 "CODESTATSD_MODULES__INGEST__BATCH_MAX=42", "CODESTATSD_ADMIN__TOKEN=a=b"};
  HostConfig c = loadConfig(src);
  CHECK(c.varDir == "/data");  // single '_' stays '_'
  CHECK(c.dbSqliteSynchronous == "NORMAL");
  CHECK(c.settingsFor("ingest").config.at("batch_max") == "42");
  CHECK(c.adminToken == "a=b");  // only the first '=' separates name and value
}

TEST_CASE("config: errors are ConfigErrors naming the key", "[config]") {
  SECTION("unknown key in the file names the key, file and line") {
    std::string msg = fileError("http.port = 80\n\nhttp.prot = 80\n");
    CHECK_THAT(msg, Contains("http.prot"));
    CHECK_THAT(msg, Contains("host.conf:3"));
  }
  SECTION("unknown key in a section names the full key") {
    CHECK_THAT(fileError("[db]\nflavour = x\n"), Contains("db.flavour"));
  }
  SECTION("unknown key from the environment names key and variable") {
    std::string msg = envError("CODESTATSD_HTTP__PROT=80");
    CHECK_THAT(msg, Contains("http.prot"));
    CHECK_THAT(msg, Contains("CODESTATSD_HTTP__PROT"));
  }
  SECTION("unknown key from --set") {
    std::string msg = setError("nope.key=1");
    CHECK_THAT(msg, Contains("nope.key"));
    CHECK_THAT(msg, Contains("--set"));
  }
  SECTION("--set without '='") { CHECK_THAT(setError("http.port"), Contains("http.port")); }
  SECTION("'modules.<name>' with no sub-key is unknown") {
    CHECK_THAT(setError("modules.ingest=1"), Contains("modules.ingest"));
    CHECK_THAT(setError("modules.ingest.=1"), Contains("modules.ingest."));
    CHECK_THAT(setError("modules..x=1"), Contains("modules..x"));
  }
  SECTION("bad integers") {
    for (const char* v : {"abc", "70000", "80x", "-1", "", "1.5", "99999999999999999999999"}) {
      INFO("value '" << v << "'");
      std::string msg = fileError(std::string("http.port = ") + v + "\n");
      CHECK_THAT(msg, Contains("http.port"));
      CHECK_THAT(msg, Contains("integer"));
    }
    CHECK_THAT(setError("http.port=abc"), Contains("http.port"));
    CHECK_THAT(envError("CODESTATSD_HTTP__PORT=80x"), Contains("http.port"));
    CHECK_THAT(setError("workers=0"), Contains("workers"));
    CHECK_THAT(setError("workers=257"), Contains("workers"));
  }
  SECTION("bad booleans") {
    std::string msg = fileError("loader.strict_dependencies = maybe\n");
    CHECK_THAT(msg, Contains("loader.strict_dependencies"));
    CHECK_THAT(msg, Contains("maybe"));
    CHECK_THAT(setError("bench.builtin_route=2"), Contains("bench.builtin_route"));
  }
  SECTION("bad enums") {
    std::string msg = fileError("db.backend = mysql\n");
    CHECK_THAT(msg, Contains("db.backend"));
    CHECK_THAT(msg, Contains("mysql"));
    msg = fileError("log.level = loud\n");
    CHECK_THAT(msg, Contains("log.level"));
    CHECK_THAT(msg, Contains("loud"));
    CHECK_THAT(setError("db.sqlite.synchronous=OFF"), Contains("db.sqlite.synchronous"));
  }
  SECTION("unreadable config file names the path") {
    TempDir dir;
    ConfigSources src;
    src.file = dir.path + "/does-not-exist.conf";
    CHECK_THAT(errorOf(src), Contains(src.file));
    src.file = dir.path;  // a directory cannot be read as a file
    CHECK_THROWS_AS(loadConfig(src), ConfigError);
  }
  SECTION("a line without '='") {
    std::string msg = fileError("http.port = 1\njust some words\n");
    CHECK_THAT(msg, Contains("host.conf:2"));
    CHECK_THAT(msg, Contains("just some words"));
  }
  SECTION("a line with an empty key") { CHECK_THAT(fileError("= 5\n"), Contains("host.conf:1")); }
  SECTION("malformed section header") {
    std::string msg = fileError("[http\nport = 1\n");
    CHECK_THAT(msg, Contains("host.conf:1"));
    CHECK_THAT(msg, Contains("[http"));
  }
  SECTION("postgres backend without conninfo") {
    std::string msg = setError("db.backend=postgres");
    CHECK_THAT(msg, Contains("db.postgres.conninfo"));
    // with conninfo it loads
    HostConfig c = fromSets({"db.backend=POSTGRES", "db.postgres.conninfo=host=db"});
    CHECK(c.dbBackend == "postgres");
  }
  SECTION("empty var_dir") { CHECK_THAT(setError("var_dir="), Contains("var_dir")); }
}

TEST_CASE("config: module keys", "[config]") {
  SECTION("module-defined keys go to settingsFor(module).config") {
    HostConfig c = fromFile("modules.ingest.batch_max = 5\n[modules.web]\ntemplate_dir = \"/t\"\n");
    CHECK(c.settingsFor("ingest").config.at("batch_max") == "5");
    CHECK(c.settingsFor("web").config.at("template_dir") == "/t");
    CHECK(c.settingsFor("ingest").config.count("template_dir") == 0);
  }
  SECTION("sub-keys may contain dots") {
    HostConfig c = fromSets({"modules.mail.smtp.host=mx"});
    CHECK(c.settingsFor("mail").config.at("smtp.host") == "mx");
  }
  SECTION("settingsFor an unconfigured module gives defaults") {
    HostConfig c = fromSets({"modules.ingest.batch_max=5"});
    ModuleSettings s = c.settingsFor("web");
    CHECK(s.artifact.empty());
    CHECK(s.drainTimeoutMs == 30000);
    CHECK(s.config.empty());
  }
  SECTION("artifact and drain_timeout_ms are reserved and parsed") {
    HostConfig c = fromSets({"modules.ingest.artifact=/opt/ingest.so", "modules.ingest.drain_timeout_ms=1500"});
    ModuleSettings s = c.settingsFor("ingest");
    CHECK(s.artifact == "/opt/ingest.so");
    CHECK(s.drainTimeoutMs == 1500);
    CHECK(s.config.empty());  // reserved keys are not handed to the module
  }
  SECTION("bad drain_timeout_ms is an error naming the key") {
    CHECK_THAT(setError("modules.ingest.drain_timeout_ms=soon"), Contains("modules.ingest.drain_timeout_ms"));
    CHECK_THAT(setError("modules.ingest.drain_timeout_ms=0"), Contains("modules.ingest.drain_timeout_ms"));
  }
  SECTION("invalid module name in a module key") {
    CHECK_THAT(setError("modules.Ingest.x=1"), Contains("modules.Ingest.x"));
    CHECK_THAT(setError("modules.in-gest.x=1"), Contains("in-gest"));
  }
  SECTION("settings for modules not in the list are allowed") {
    HostConfig c = fromSets({"modules=ingest", "modules.later.x=1"});
    CHECK(c.settingsFor("later").config.at("x") == "1");
  }
}

TEST_CASE("config: modules list", "[config]") {
  SECTION("comma separated, whitespace trimmed, order kept") {
    CHECK(fromFile("modules = a, b\n").modules == std::vector<std::string>{"a", "b"});
    CHECK(fromSets({"modules= web ,ingest,cache_2 "}).modules == std::vector<std::string>{"web", "ingest", "cache_2"});
  }
  SECTION("empty items are skipped; empty list allowed") {
    CHECK(fromSets({"modules=a,,b,"}).modules == std::vector<std::string>{"a", "b"});
    CHECK(fromSets({"modules="}).modules.empty());
  }
  SECTION("duplicate module is an error") {
    std::string msg = setError("modules=a,b,a");
    CHECK_THAT(msg, Contains("modules"));
    CHECK_THAT(msg, Contains("'a'"));
  }
  SECTION("invalid module names are errors") {
    for (const char* v : {"Web", "we-b", "a.b", "caf\xc3\xa9", "a b"}) {
      INFO("modules = " << v);
      std::string msg = setError(std::string("modules=") + v);
      CHECK_THAT(msg, Contains("modules"));
      CHECK_THAT(msg, Contains("invalid module name"));
    }
    CHECK_THAT(setError("modules=" + std::string(65, 'a')), Contains("invalid module name"));
    CHECK(fromSets({"modules=" + std::string(64, 'a')}).modules.size() == 1);
  }
  SECTION("one rule everywhere (runtime/module_name.hpp): a name starts with a letter") {
    for (const char* v : {"1abc", "_x", "9"}) {
      INFO("modules = " << v);
      CHECK_THAT(setError(std::string("modules=") + v), Contains("^[a-z][a-z0-9_]{0,63}$"));
    }
    CHECK_THAT(setError("modules._x.artifact=/x.so"), Contains("^[a-z][a-z0-9_]{0,63}$"));
  }
}

TEST_CASE("config: admin exposure overrides", "[config][admin]") {
  HostConfig d = fromSets({});
  CHECK_FALSE(d.adminAllowPublic);
  CHECK_FALSE(d.adminAllowShortToken);
  HostConfig c = fromFile("[admin]\nallow_public = true\nallow_short_token = yes\n");
  CHECK(c.adminAllowPublic);
  CHECK(c.adminAllowShortToken);
  CHECK_THAT(setError("admin.allow_public=maybe"), Contains("admin.allow_public"));
}

TEST_CASE("config: ws.allowed_origins", "[config][ws]") {
  CHECK(fromSets({}).wsAllowedOrigins.empty());
  CHECK(fromSets({"ws.allowed_origins= https://app.example.net, dev.example.net:3000 ,"}).wsAllowedOrigins ==
        std::vector<std::string>{"https://app.example.net", "dev.example.net:3000"});
  std::string msg = setError("ws.allowed_origins=https://ok.example,ftp://no.example");
  CHECK_THAT(msg, Contains("ws.allowed_origins"));
  CHECK_THAT(msg, Contains("'ftp://no.example'"));
  CHECK_THAT(printConfig(fromSets({"ws.allowed_origins=a.example,b.example:81"})),
             Contains("ws.allowed_origins = a.example,b.example:81\n"));
}

TEST_CASE("config: printConfig", "[config]") {
  HostConfig c = fromSets({
      "http.port=9123",
      "admin.token=tok-SECRET-1",
      "secret_key_base=skb-SECRET-2",
      "db.backend=postgres",
      "db.postgres.conninfo=password=pg-SECRET-3",
      "modules=ingest,web",
      "modules.ingest.batch_max=17",
      "modules.ingest.api_key=SECRET-4",
      "modules.ingest.smtp_password=SECRET-5",
      "modules.ingest.client_secret=SECRET-6",
      "modules.ingest.bot_token=SECRET-7",
      "modules.ingest.artifact=/opt/i.so",
      "modules.web.drain_timeout_ms=250",
  });
  std::string out = printConfig(c);

  SECTION("plain values are printed") {
    CHECK_THAT(out, Contains("http.port = 9123\n"));
    CHECK_THAT(out, Contains("http.host = 127.0.0.1\n"));
    CHECK_THAT(out, Contains("modules = ingest,web\n"));
    CHECK_THAT(out, Contains("db.backend = postgres\n"));
    CHECK_THAT(out, Contains("modules.ingest.batch_max = 17\n"));
    CHECK_THAT(out, Contains("modules.ingest.artifact = /opt/i.so\n"));
    CHECK_THAT(out, Contains("modules.web.drain_timeout_ms = 250\n"));
    CHECK_THAT(out, Contains("modules.ingest.drain_timeout_ms = 30000\n"));
  }
  SECTION("secrets are redacted") {
    CHECK(out.find("SECRET") == std::string::npos);
    CHECK_THAT(out, Contains("admin.token = <redacted>\n"));
    CHECK_THAT(out, Contains("secret_key_base = <redacted>\n"));
    CHECK_THAT(out, Contains("db.postgres.conninfo = <redacted>\n"));
    CHECK_THAT(out, Contains("modules.ingest.api_key = <redacted>\n"));
    CHECK_THAT(out, Contains("modules.ingest.smtp_password = <redacted>\n"));
    CHECK_THAT(out, Contains("modules.ingest.client_secret = <redacted>\n"));
    CHECK_THAT(out, Contains("modules.ingest.bot_token = <redacted>\n"));
  }
  SECTION("empty secrets print as empty, not <redacted>") {
    std::string d = printConfig(loadConfig(ConfigSources{}));
    CHECK_THAT(d, Contains("admin.token = \n"));
    CHECK_THAT(d, Contains("secret_key_base = \n"));
    CHECK(d.find("<redacted>") == std::string::npos);
    CHECK_THAT(d, Contains("http.port = 8080\n"));
    CHECK_THAT(d, Contains("modules = web,ingest,channels,mail,cache\n"));
  }
  SECTION("every line is key = value") {
    size_t lines = 0, pos = 0;
    while (pos < out.size()) {
      size_t nl = out.find('\n', pos);
      REQUIRE(nl != std::string::npos);
      std::string line = out.substr(pos, nl - pos);
      INFO(line);
      CHECK(line.find(" = ") != std::string::npos);
      ++lines;
      pos = nl + 1;
    }
    CHECK(lines > 20);
  }
  SECTION("printed config can be loaded back") {
    // Non-secret output re-parses to the same values (secrets are redacted so skip them).
    TempDir dir;
    std::string text, line;
    std::istringstream in(out);
    while (std::getline(in, line))
      if (line.find("<redacted>") == std::string::npos) text += line + "\n";
    ConfigSources src;
    src.file = dir.write("round.conf", text);
    src.sets = {"db.postgres.conninfo=x"};
    HostConfig back = loadConfig(src);
    CHECK(back.httpPort == 9123);
    CHECK(back.modules == c.modules);
    CHECK(back.settingsFor("ingest").config.at("batch_max") == "17");
    CHECK(back.settingsFor("web").drainTimeoutMs == 250);
  }
}
