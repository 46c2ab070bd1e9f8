// codestatsctl: the operator CLI, a thin client of codestatsd's admin API.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "admin_client.hpp"
#include "import_codestats.hpp"
#include "runtime/module_name.hpp"

namespace {

const char* kUsage =
    "usage: codestatsctl [--admin URL] [--token TOKEN | --token-file FILE] [--var-dir DIR] COMMAND\n"
    "commands:\n"
    "  modules [--json]              list modules: version, generation, state, leases\n"
    "  module NAME                   one module, as JSON\n"
    "  load NAME [ARTIFACT]          load a module\n"
    "  reload NAME [ARTIFACT] [--wait]\n"
    "                                replace a module under traffic\n"
    "  unload NAME                   drain and unload a module\n"
    "  reconcile                     reconcile with the configuration (like SIGHUP)\n"
    "  upgrade [BINARY]              replace the host process under traffic (like SIGUSR2): BINARY\n"
    "                                (default: the running host's path) takes over its sockets\n"
    "  commands                      list module admin commands\n"
    "  run COMMAND [ARGS...]         run a module admin command, e.g. run web.create-user alice\n"
    "  metrics                       Prometheus metrics\n"
    "  import-codestats CONNINFO [--source NAME] [--verify] [--batch N]\n"
    "                                import an original Code::Stats PostgreSQL database (libpq\n"
    "                                conninfo, read-only); again: resume or delta; --verify compares\n"
    "defaults: --var-dir var; the admin URL and token come from <var-dir>/codestatsd.ports and\n"
    "<var-dir>/admin.token, or CODESTATSD_ADMIN_URL and CODESTATSD_ADMIN_TOKEN\n";

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

[[noreturn]] void die(const std::string& msg, int code = 1) {
  std::cerr << "codestatsctl: " << msg << "\n";
  std::exit(code);
}

using codestats::host::ctl::Reply;

// One admin API request (admin_client.cpp; exits with a message when the host is unreachable).
Reply call(const std::string& baseUrl, const std::string& token, const std::string& method, const std::string& path,
           const std::string& body = {}) {
  return codestats::host::ctl::AdminClient(baseUrl, token).call(method, path, body);
}

Poco::JSON::Object::Ptr parse(const std::string& body) {
  try {
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  }
}

std::string jsonString(const Poco::JSON::Object& o) {
  std::ostringstream s;
  o.stringify(s);
  return s.str();
}

int finish(const Reply& r) {
  if (r.status >= 200 && r.status < 300) {
    std::cout << r.body << (r.body.empty() || r.body.back() == '\n' ? "" : "\n");
    return 0;
  }
  auto o = parse(r.body);
  std::string msg = o && o->has("error") ? o->getValue<std::string>("error") : r.body;
  std::cerr << "codestatsctl: " << r.status << ": " << msg << "\n";
  return 1;
}

void printModules(const std::string& body) {
  auto root = parse(body);
  if (!root) die("unexpected reply: " + body);
  auto list = root->getArray("modules");
  std::printf("%-10s %-10s %-24s %-5s %-5s %-9s %-8s %-14s %-16s %s\n", "MODULE", "VERSION", "BUILD", "ABI", "GEN",
              "STATE", "LEASES", "SHA256", "EVENT LAG", "DRAINING/ZOMBIE/PINNED");
  for (size_t i = 0; list && i < list->size(); ++i) {
    auto m = list->getObject(static_cast<unsigned>(i));
    auto str = [&](const char* k) { return m->has(k) ? m->get(k).toString() : std::string("-"); };
    std::string extra;
    auto add = [&](const char* key, const char* label) {
      auto a = m->getArray(key);
      for (size_t j = 0; a && j < a->size(); ++j)
        extra += std::string(extra.empty() ? "" : " ") + label + "#" +
                 a->getObject(static_cast<unsigned>(j))->get("generation").toString();
    };
    add("draining", "draining");
    add("zombies", "zombie");
    add("pinned", "pinned");
    std::string sha = str("artifact_sha256");
    // How far the module's reader of the event log is behind: events and seconds.
    std::string lag = "-";
    if (auto ev = m->getObject("events")) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%lld (%.1f s)", static_cast<long long>(ev->getValue<int64_t>("lag_events")),
                    ev->getValue<double>("lag_seconds"));
      lag = buf;
    }
    std::printf("%-10s %-10s %-24s %-5s %-5s %-9s %-8s %-14s %-16s %s\n", str("name").c_str(), str("version").c_str(),
                str("build_id").substr(0, 24).c_str(), str("abi").c_str(), str("generation").c_str(),
                str("state").c_str(), str("in_flight").c_str(), sha.substr(0, 12).c_str(), lag.c_str(),
                extra.empty() ? "-" : extra.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string admin, token, tokenFile, varDir = "var";
  if (const char* e = std::getenv("CODESTATSD_ADMIN_URL")) admin = e;
  if (const char* e = std::getenv("CODESTATSD_ADMIN_TOKEN")) token = e;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value", 2);
      return argv[++i];
    };
    if (args.empty() && a == "--admin") admin = value();
    else if (args.empty() && a == "--token") token = value();
    else if (args.empty() && a == "--token-file") tokenFile = value();
    else if (args.empty() && a == "--var-dir") varDir = value();
    else if (args.empty() && (a == "--help" || a == "-h")) {
      std::cout << kUsage;
      return 0;
    } else args.push_back(a);
  }
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if (admin.empty()) {
    auto ports = parse(readFile(varDir + "/codestatsd.ports"));
    admin =
        ports && ports->has("admin") ? "http://127.0.0.1:" + ports->get("admin").toString() : "http://127.0.0.1:8081";
  }
  if (token.empty()) token = readFile(tokenFile.empty() ? varDir + "/admin.token" : tokenFile);
  if (token.empty()) die("no admin token: pass --token, --token-file or --var-dir", 2);

  const std::string& cmd = args[0];
  auto need = [&](size_t n) {
    if (args.size() < n) die("'" + cmd + "' needs more arguments\n" + kUsage, 2);
  };
  // The host refuses such a name too (400); checked here first so that a name never ends
  // up in the request path unescaped ("reload ../x" would address another URL).
  auto needModule = [&] {
    need(2);
    if (!codestats::host::isValidModuleName(args[1])) die(codestats::host::invalidModuleNameMessage(args[1]), 2);
  };
  if (cmd == "modules") {
    Reply r = call(admin, token, "GET", "/admin/modules");
    if (r.status != 200 || (args.size() > 1 && args[1] == "--json")) return finish(r);
    printModules(r.body);
    return 0;
  }
  if (cmd == "module") {
    needModule();
    return finish(call(admin, token, "GET", "/admin/modules/" + args[1]));
  }
  if (cmd == "load") {
    needModule();
    Poco::JSON::Object body;
    body.set("name", args[1]);
    if (args.size() > 2) body.set("artifact", args[2]);
    return finish(call(admin, token, "POST", "/admin/modules/load", jsonString(body)));
  }
  if (cmd == "reload") {
    needModule();
    Poco::JSON::Object body;
    for (size_t i = 2; i < args.size(); ++i) {
      if (args[i] == "--wait") body.set("wait", true);
      else body.set("artifact", args[i]);
    }
    return finish(call(admin, token, "POST", "/admin/modules/" + args[1] + "/reload", jsonString(body)));
  }
  if (cmd == "unload") {
    needModule();
    return finish(call(admin, token, "POST", "/admin/modules/" + args[1] + "/unload"));
  }
  if (cmd == "reconcile") return finish(call(admin, token, "POST", "/admin/reconcile"));
  if (cmd == "upgrade") {
    Poco::JSON::Object body;
    if (args.size() > 1) {
      std::error_code ec;  // the host resolves paths against its own working directory
      auto path = std::filesystem::absolute(args[1], ec);
      body.set("binary", ec ? args[1] : path.string());
    }
    return finish(call(admin, token, "POST", "/admin/upgrade", jsonString(body)));
  }
  if (cmd == "commands") return finish(call(admin, token, "GET", "/admin/commands"));
  if (cmd == "metrics") return finish(call(admin, token, "GET", "/metrics"));
  if (cmd == "import-codestats") {
    need(2);
    codestats::host::ctl::ImportOptions options;
    options.conninfo = args[1];
    for (size_t i = 2; i < args.size(); ++i) {
      if (args[i] == "--verify") options.verify = true;
      else if (args[i] == "--source" && i + 1 < args.size()) options.source = args[++i];
      else if (args[i] == "--batch" && i + 1 < args.size()) options.batchPulses = std::atoll(args[++i].c_str());
      else die("import-codestats: unknown option '" + args[i] + "'\n" + kUsage, 2);
    }
    if (options.batchPulses < 1) die("import-codestats: --batch must be at least 1", 2);
    return codestats::host::ctl::importCodestats(codestats::host::ctl::AdminClient(admin, token), options);
  }
  if (cmd == "run") {
    need(2);
    Poco::JSON::Object body;
    Poco::JSON::Array list;
    for (size_t i = 2; i < args.size(); ++i) list.add(args[i]);
    body.set("args", list);
    Reply r = call(admin, token, "POST", "/admin/commands/" + args[1], jsonString(body));
    auto o = parse(r.body);
    if (r.status == 200 && o) {
      std::string out = o->optValue<std::string>("output", "");
      std::cout << out << (out.empty() || out.back() == '\n' ? "" : "\n");
      return 0;
    }
    return finish(r);
  }
  die("unknown command '" + cmd + "'\n" + kUsage, 2);
}
