// The loader and lifecycle against a real host: load, reload, rejections that keep the old
// generation serving, draining, zombies, pinned images, state hand-over, and the services
// a module reaches through the SDK (KV, events, timers, service registry, admin commands,
// migrations) on both database backends.
#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include "abi_expectations.hpp"
#include "backends.hpp"

using namespace codestats::test;

namespace {

Poco::JSON::Object::Ptr json(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Object::Ptr moduleInfo(const HostProcess& h, const std::string& name) {
  auto r = h.admin("GET", "/admin/modules/" + name);
  REQUIRE(r.status == 200);
  return json(r.body)->getArray("modules")->getObject(0);
}

std::string loadBody(const std::string& name, const std::string& artifact) {
  return R"({"name":")" + name + R"(","artifact":")" + artifact + R"("})";
}

std::string reloadBody(const std::string& artifact, bool wait = true) {
  return R"({"artifact":")" + artifact + R"(","wait":)" + (wait ? "true" : "false") + "}";
}

template <typename F>
bool eventually(F f, int ms = 5000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

}  // namespace

TEST_CASE("a module loads, serves, and is replaced by a new version", "[lifecycle]") {
  HostProcess h;
  auto r = h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1")));
  REQUIRE(r.status == 200);
  CHECK(json(r.body)->getValue<std::string>("outcome") == "activated");
  auto hello = h.get("/hello");
  CHECK(hello.status == 200);
  CHECK(hello.body == "v1");
  CHECK(hello.header("x-module-version") == "1.0.0");
  CHECK_FALSE(hello.header("x-request-id").empty());

  r = h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v2")));
  REQUIRE(r.status == 200);
  auto res = json(r.body);
  CHECK(res->getValue<int>("generation") == 2);
  CHECK(res->getValue<int>("previous_generation") == 1);
  CHECK(h.get("/hello").body == "v2");

  auto info = moduleInfo(h, "hello");
  CHECK(info->getValue<std::string>("version") == "2.0.0");
  CHECK(info->getValue<std::string>("state") == "active");
  CHECK(info->getValue<std::string>("abi") == kHostAbi);
  CHECK(info->getValue<std::string>("artifact_sha256").size() == 64);
  CHECK(info->getArray("pinned")->size() == 0);
  CHECK(info->getArray("draining")->size() == 0);
  // the copy the old generation ran from is gone
  CHECK(h.log().find("[hello@1.0.0#1] unloaded") != std::string::npos);
}

TEST_CASE("a rejected reload says why and keeps the old generation serving", "[lifecycle]") {
  HostProcess h;
  REQUIRE(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);
  struct Case {
    std::string artifact, reason;
  };
  std::vector<Case> cases{
      {fixture("bad_abi_major"), kBadMajor},
      {fixture("newer_minor"), kNewerMinor},
      {fixture("throws_create"), "create failed: create failed on purpose"},
      {fixture("throws_start"), "start failed: start failed on purpose"},
      {fixture("wrong_name"), "module calls itself 'other', expected 'hello'"},
      {fixture("no_entry"), "missing entry symbol cs_module_entry_v1"},
      {fixture("not_elf"), "dlopen failed"},
      {fixture("does_not_exist"), "artifact not found"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.artifact) {
      auto r = h.admin("POST", "/admin/modules/hello/reload", reloadBody(c.artifact));
      CHECK(r.status == 422);
      auto body = json(r.body);
      CHECK(body->getValue<std::string>("outcome") == "rejected");
      CHECK_THAT(body->getValue<std::string>("error"), Catch::Contains(c.reason));
      auto hello = h.get("/hello");
      CHECK(hello.status == 200);
      CHECK(hello.body == "v1");
      CHECK(moduleInfo(h, "hello")->getValue<int>("generation") == 1);
    }
  }
}

TEST_CASE("an invalid module name gets 400 naming the rule, before anything touches the disk",
          "[lifecycle][admin][security]") {
  HostProcess h;
  const std::string rule = "module names match ^[a-z][a-z0-9_]{0,63}$";
  // var/run/../../<name> is a sibling of the var directory: the old host created it (and
  // kept a slot of that name) before refusing the module's name.
  const std::string escape = "codestats-escape-" + std::to_string(::getpid());
  const std::string outside = (std::filesystem::path(h.varDir()).parent_path() / escape).string();
  auto escaped = [&] {
    std::error_code ec;
    bool there = std::filesystem::exists(outside, ec);
    std::filesystem::remove_all(outside, ec);  // what an old host left behind
    return there;
  };
  escaped();

  auto r = h.admin("POST", "/admin/modules/load", loadBody("../../" + escape, fixture("hello_v1")));
  CHECK_FALSE(escaped());
  CHECK(r.status == 400);
  CHECK_THAT(json(r.body)->getValue<std::string>("error"), Catch::Contains(rule));
  CHECK_THAT(h.admin("GET", "/admin/modules").body, !Catch::Contains(escape));

  for (const std::string name : {"Hello", "1x", "a-b", "a.b", "x%2F..%2Fy"}) {
    INFO(name);
    r = h.admin("POST", "/admin/modules/load", loadBody(name, fixture("hello_v1")));
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains(rule));
    for (const char* op : {"reload", "unload"}) {
      r = h.admin("POST", "/admin/modules/" + name + "/" + op, "{}");
      CHECK(r.status == 400);
      CHECK_THAT(json(r.body)->getValue<std::string>("error"), Catch::Contains(rule));
    }
    r = h.admin("GET", "/admin/modules/" + name);
    CHECK(r.status == 400);
    CHECK_THAT(json(r.body)->getValue<std::string>("error"), Catch::Contains(rule));
  }

  // codestatsctl refuses it before sending anything
  std::string out;
  CHECK(h.ctl({"load", "../../" + escape, fixture("hello_v1")}, out) == 2);
  CHECK_THAT(out, Catch::Contains(rule));
  CHECK_FALSE(escaped());
  CHECK(h.ctl({"reload", "../hello"}, out) == 2);
  CHECK_THAT(out, Catch::Contains(rule));

  // a valid name still loads
  CHECK(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);
}

TEST_CASE("an artifact must be a regular file; anything else is refused at once, saying what it is",
          "[lifecycle][artifact][security]") {
  TempDir dir;
  const std::string fifo = dir.path() + "/fifo.so";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::filesystem::create_directory(dir.path() + "/dir.so");
  std::filesystem::create_symlink(fixture("hello_v1"), dir.path() + "/current.so");

  // The admin call, bounded: a host that opens the FIFO waits for a writer (one is made).
  auto bounded = [&](const std::string& fifoPath, const std::function<HttpReply()>& call) {
    auto f = std::async(std::launch::async, call);
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      FAIL_CHECK("the host blocked on the FIFO");
      int w = ::open(fifoPath.c_str(), O_WRONLY | O_NONBLOCK);
      if (w >= 0) ::close(w);
    }
    return f.get();
  };

  HostProcess h;
  struct Case {
    std::string artifact, reason;
  };
  for (const auto& c : std::vector<Case>{
           {dir.path() + "/dir.so", "is a directory"}, {fifo, "is a FIFO"}, {"/dev/null", "is a character device"}}) {
    INFO(c.artifact);
    auto r = bounded(fifo, [&] { return h.admin("POST", "/admin/modules/load", loadBody("hello", c.artifact)); });
    CHECK(r.status == 422);
    CHECK_THAT(r.body, Catch::Contains(c.reason + "; an artifact must be a regular file"));
  }
  // a symlink counts as the file it points to
  auto r = h.admin("POST", "/admin/modules/load", loadBody("hello", dir.path() + "/current.so"));
  CHECK(r.status == 200);
  CHECK(h.get("/hello").body == "v1");

  // The configured artifact replaced by a FIFO: reconciliation hashes the configured path;
  // it used to block there (and with it SIGHUP) until something wrote into the FIFO.
  TempDir dir2;
  std::string installed = dir2.path() + "/hello.so";
  std::filesystem::copy_file(fixture("hello_v1"), installed);
  HostProcess configured({"--set", "modules=hello", "--set", "modules.hello.artifact=" + installed});
  std::filesystem::remove(installed);
  REQUIRE(::mkfifo(installed.c_str(), 0600) == 0);
  r = bounded(installed, [&] { return configured.admin("POST", "/admin/reconcile"); });
  CHECK(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("is a FIFO"));
  CHECK(configured.get("/hello").body == "v1");
}

TEST_CASE("a module built against an older ABI minor still loads", "[lifecycle][abi]") {
  HostProcess h;
  auto r = h.admin("POST", "/admin/modules/load", loadBody("abi10", fixture("abi10")));
  REQUIRE(r.status == 200);
  CHECK(h.get("/abi10/hello").body == "built against ABI 1.0");
  CHECK(moduleInfo(h, "abi10")->getValue<std::string>("abi") == "1.0");

  // ABI 1.1 (channels): loads into this newer host and its calls still work.
  r = h.admin("POST", "/admin/modules/load", loadBody("abi11", fixture("abi11")));
  REQUIRE(r.status == 200);
  CHECK(h.get("/abi11/hello").body == "built against ABI 1.1");
  CHECK(h.get("/abi11/hello").status == 200);
  auto info = moduleInfo(h, "abi11");
  CHECK(info->getValue<std::string>("abi") == "1.1");
  CHECK(info->getValue<std::string>("version") == "1.1.0");
  auto metrics = h.admin("GET", "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK_THAT(metrics.body,
             Catch::Contains(R"(codestats_module_counter_total{module="abi11",counter="abi11_hellos"} 2)"));
}

TEST_CASE("loading a module that does not load keeps nothing registered", "[lifecycle]") {
  HostProcess h;
  auto r = h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("throws_create")));
  CHECK(r.status == 422);
  CHECK(h.get("/hello").status == 404);
  CHECK(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);
  CHECK(h.get("/hello").body == "v1");
  // loading twice is a conflict
  CHECK(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 409);
}

TEST_CASE("a drain waits for in-flight requests; a second reload meanwhile is refused", "[lifecycle]") {
  HostProcess h;
  REQUIRE(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);
  // A request that holds its lease until released (not a sleep that must outlast the steps
  // below on a machine of unknown speed).
  auto slow = std::async(std::launch::async, [&] { return h.get("/hello/hold"); });
  REQUIRE(eventually([&] { return h.get("/hello/holding").body == "1"; }, 30000));
  auto r = h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v2"), false));
  REQUIRE(r.status == 200);
  CHECK(h.get("/hello").body == "v2");  // new requests go to the new generation at once
  auto info = moduleInfo(h, "hello");
  REQUIRE(info->getArray("draining")->size() == 1);
  CHECK(info->getArray("draining")->getObject(0)->getValue<int>("in_flight") >= 1);

  auto second = h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v1"), false));
  CHECK(second.status == 409);
  CHECK_THAT(json(second.body)->getValue<std::string>("error"), Catch::Contains("still draining"));

  REQUIRE(h.request("POST", "/hello/release").status == 204);  // through v2: the host KV is shared
  auto done = slow.get();
  CHECK(done.status == 200);
  CHECK(done.body == "held-v1");  // finished on the generation that started it
  CHECK(eventually([&] { return moduleInfo(h, "hello")->getArray("draining")->size() == 0; }));
  CHECK(h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v1"))).status == 200);
}

TEST_CASE("a drain past its timeout leaves a reported zombie, never a crash", "[lifecycle]") {
  HostProcess h({"--set", "modules.hello.drain_timeout_ms=200"});
  REQUIRE(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);
  auto slow = std::async(std::launch::async, [&] { return h.get("/hello/hold"); });
  REQUIRE(eventually([&] { return h.get("/hello/holding").body == "1"; }, 30000));
  auto r = h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v2"), true));
  REQUIRE(r.status == 200);
  auto info = moduleInfo(h, "hello");
  REQUIRE(info->getArray("zombies")->size() == 1);
  CHECK(info->getArray("zombies")->getObject(0)->getValue<int>("generation") == 1);
  CHECK(h.log().find("is a zombie") != std::string::npos);
  CHECK(h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v1"))).status == 409);
  // when the stuck call returns, the zombie is retired after all
  REQUIRE(h.request("POST", "/hello/release").status == 204);
  CHECK(slow.get().body == "held-v1");
  CHECK(eventually([&] { return moduleInfo(h, "hello")->getArray("zombies")->size() == 0; }));
  CHECK(h.alive());
}

TEST_CASE("a module built without -fno-gnu-unique is reported pinned after unload", "[lifecycle]") {
  HostProcess h;
  REQUIRE(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("pinned_unique"))).status == 200);
  REQUIRE(h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v1"))).status == 200);
  auto info = moduleInfo(h, "hello");
  REQUIRE(info->getArray("pinned")->size() == 1);
  CHECK(info->getArray("pinned")->getObject(0)->getValue<std::string>("version") == "1.0.0-pinned");
  // a well-built module is not: v1 -> v2 adds no pinned image
  REQUIRE(h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v2"))).status == 200);
  CHECK(moduleInfo(h, "hello")->getArray("pinned")->size() == 1);
  std::string out;
  CHECK(h.ctl({"modules"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("pinned#1"));
}

TEST_CASE("state is handed over across generations exactly", "[lifecycle]") {
  HostProcess h;
  REQUIRE(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);
  int served = 0;
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 5; ++i, ++served) REQUIRE(h.get("/hello").status == 200);
    auto next = fixture(round % 2 ? "hello_v1" : "hello_v2");
    REQUIRE(h.admin("POST", "/admin/modules/hello/reload", reloadBody(next)).status == 200);
  }
  auto state = json(h.get("/hello/state").body);
  CHECK(state->getValue<int>("served") == served);
  // unload parks the state; a later load picks it up
  REQUIRE(h.admin("POST", "/admin/modules/hello/unload").status == 200);
  CHECK(h.get("/hello").status == 404);
  REQUIRE(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);
  CHECK(json(h.get("/hello/state").body)->getValue<int>("served") == served);
}

TEST_CASE("host services reach modules and survive reloads", "[lifecycle]") {
  HostProcess h;
  REQUIRE(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);

  SECTION("the KV store survives a reload") {
    CHECK(h.get("/hello/kv").body == "1");
    CHECK(h.get("/hello/kv").body == "2");
    REQUIRE(h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v2"))).status == 200);
    CHECK(h.get("/hello/kv").body == "3");
  }
  SECTION("events are delivered in order") {
    for (int i = 0; i < 20; ++i)
      REQUIRE(h.request("POST", "/hello/publish", "\"e" + std::to_string(i) + "\"").status == 202);
    REQUIRE(eventually([&] { return h.get("/hello/events").body.find("e19") != std::string::npos; }));
    std::string expected = "[";
    for (int i = 0; i < 20; ++i) expected += std::string(i ? "," : "") + "\"\\\"e" + std::to_string(i) + "\\\"\"";
    CHECK(h.get("/hello/events").body == expected + "]");
  }
  SECTION("timers run on host threads and move to the new generation") {
    REQUIRE(eventually([&] { return std::stoi(h.get("/hello/ticks").body) >= 3; }));
    REQUIRE(h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v2"))).status == 200);
    REQUIRE(eventually([&] { return std::stoi(h.get("/hello/ticks").body) >= 3; }));
  }
  SECTION("service calls go through the registry") {
    CHECK(h.get("/hello/call").body == R"({"greeting":"hi from v1"})");
    REQUIRE(h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v2"))).status == 200);
    CHECK(h.get("/hello/call").body == R"({"greeting":"hi from v2"})");
  }
  SECTION("background tasks run on host threads; module counters reach /metrics") {
    for (int i = 0; i < 5; ++i) REQUIRE(h.request("POST", "/hello/task").status == 202);
    CHECK(eventually([&] { return h.get("/hello/tasks").body == "5"; }));
    CHECK_THAT(h.admin("GET", "/metrics").body,
               Catch::Contains(R"(codestats_module_counter_total{module="hello",counter="tasks_submitted"} 5)"));
  }
  SECTION("module config keys and host facts reach the module") { CHECK(h.get("/hello/config").body == "hello /"); }
  SECTION("admin commands run through the admin API and codestatsctl") {
    h.get("/hello");
    std::string out;
    CHECK(h.ctl({"run", "hello.count"}, out) == 0);
    CHECK(out == "1\n");
    CHECK(h.ctl({"run", "hello.echo", "a", "b c"}, out) == 0);
    CHECK(out == "a b c\n");
    CHECK(h.ctl({"run", "hello.nope"}, out) == 1);
    CHECK_THAT(out, Catch::Contains("unknown command"));
    auto list = h.admin("GET", "/admin/commands");
    CHECK_THAT(list.body, Catch::Contains("hello.count"));
  }
}

TEST_CASE("migrations are applied before a generation activates, on every backend", "[lifecycle][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      auto db = backendArgs(backend);
      HostProcess h(db.args);
      REQUIRE(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);
      CHECK(h.request("POST", "/hello/items?id=1&name=a").status == 200);
      CHECK(h.request("POST", "/hello/items?id=1&name=a").status == 409);  // unique violation maps to conflict
      CHECK(h.request("POST", "/hello/items_tx?id=2&name=b&fail=1").status == 500);  // rolled back
      CHECK(h.request("POST", "/hello/items_tx?id=3&name=c").status == 200);
      CHECK(h.get("/hello/items").body == R"({"count":2})");
      REQUIRE(h.admin("POST", "/admin/modules/hello/reload", reloadBody(fixture("hello_v2"))).status == 200);
      CHECK_THAT(h.log(), Catch::Contains("[hello@2.0.0#2] applied migration 2"));
      CHECK_THAT(h.log(), !Catch::Contains("[hello@2.0.0#2] applied migration 1"));
      CHECK(h.get("/hello/items").body == R"({"count":2})");
    }
  }
}

TEST_CASE("module config reaches the module; an unknown module key stops the load", "[lifecycle]") {
  HostProcess h({"--set", "modules.hello.greeting=howdy"});
  REQUIRE(h.admin("POST", "/admin/modules/load", loadBody("hello", fixture("hello_v1"))).status == 200);
  CHECK(h.get("/hello/config").body == "howdy /");
  std::string out;
  int rc = runHostToExit({"--set", "var_dir=" + h.varDir() + "/second", "--set", "http.port=0", "--set", "admin.port=0",
                          "--set", "modules=hello", "--set", "modules.hello.artifact=" + fixture("hello_v1"), "--set",
                          "modules.hello.greetin=typo"},
                         out);
  CHECK(rc == 1);
  CHECK_THAT(out, Catch::Contains("cannot load module 'hello': create failed: unknown config key 'greetin'"));
}

TEST_CASE("codestatsctl drives the admin API", "[lifecycle][ctl]") {
  HostProcess h;
  std::string out;
  CHECK(h.ctl({"load", "hello", fixture("hello_v1")}, out) == 0);
  CHECK_THAT(out, Catch::Contains("activated"));
  CHECK(h.ctl({"reload", "hello", fixture("hello_v2"), "--wait"}, out) == 0);
  CHECK(h.ctl({"modules"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("hello"));
  CHECK_THAT(out, Catch::Contains("2.0.0"));
  CHECK(h.ctl({"reload", "hello", fixture("bad_abi_major")}, out) == 1);
  CHECK_THAT(out, Catch::Contains(kBadMajor));
  CHECK(h.ctl({"unload", "hello"}, out) == 0);
  CHECK(h.ctl({"reload", "hello"}, out) == 1);
  CHECK_THAT(out, Catch::Contains("not loaded"));
}
