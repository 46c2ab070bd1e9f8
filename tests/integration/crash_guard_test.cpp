// The crash-loop guard end to end (issue 9 item 3): a module version whose activation is
// followed by a host crash (the fixture's admin command aborts the process) is not loaded
// again on restart; the last known-good version is, and the log says why.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include "ops_helpers.hpp"

using namespace codestats::test;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> helloWith(const std::string& fixtureName, const std::string& windowMs) {
  return {"--set", "modules=hello",
          "--set", "modules.hello.artifact=" + fixture(fixtureName),
          "--set", "crash_guard.window_ms=" + windowMs};
}

// Runs hello_v1 until it is known-good, activates hello_ops, and crashes the host with it.
void crashAfterActivatingOps(const std::string& varDir, const std::string& windowMs) {
  HostProcess h(varDir, helloWith("hello_v1", windowMs));
  if (windowMs != "0") REQUIRE(eventually([&] { return contains(h.log(), "now the known-good version"); }, 60000));
  auto r = h.admin("POST", "/admin/modules/hello/reload", R"({"artifact":")" + fixture("hello_ops") + R"("})");
  REQUIRE(r.status == 200);
  REQUIRE(loadedVersion(h, "hello") == "6.6.6-ops");
  try {
    h.admin("POST", "/admin/commands/hello.crash", R"({"args":[]})");
  } catch (const std::exception&) {
    // the connection dies with the process
  }
  REQUIRE(eventually([&] { return !h.alive(); }));
}

}  // namespace

// The crash must come within the guard's window after the activation: two admin requests
// later. 5 s (not a tighter window) so that a slow or busy machine still makes it.
const char* const kWindowMs = "5000";

TEST_CASE("crash guard: a host crash right after an activation rolls back to the known-good version", "[ops][guard]") {
  TempDir var;
  crashAfterActivatingOps(var.path(), kWindowMs);

  // systemd restarts the host; the operator's configuration now names the crashing build.
  {
    HostProcess h(var.path(), helloWith("hello_ops", kWindowMs));
    CHECK(loadedVersion(h, "hello") == "1.0.0");
    CHECK(h.get("/hello").body == "v1");
    std::string log = h.log();
    CHECK_THAT(log,
               Contains("crash guard: codestatsd stopped unexpectedly within 5000 ms of activating hello 6.6.6-ops"));
    CHECK_THAT(log, Contains("loading the last known-good version hello 1.0.0"));
    auto m = h.admin("GET", "/metrics").body;
    CHECK_THAT(m, Contains(R"(codestats_crash_guard_fallbacks_total{module="hello"} 1)"));
    REQUIRE(h.stop() == 0);
  }
  // A clean restart keeps the crashed build quarantined.
  {
    HostProcess h(var.path(), helloWith("hello_ops", kWindowMs));
    CHECK(loadedVersion(h, "hello") == "1.0.0");
    CHECK_THAT(h.log(), Contains("crashed codestatsd before"));
    // An explicit reload is the operator's decision, and is honoured.
    auto r = h.admin("POST", "/admin/modules/hello/reload", R"({"artifact":")" + fixture("hello_ops") + R"("})");
    CHECK(r.status == 200);
    CHECK(loadedVersion(h, "hello") == "6.6.6-ops");
  }
}

TEST_CASE("crash guard: with the guard off (window 0) the crashing build is loaded again", "[ops][guard]") {
  // The negative control: it shows that the test above depends on the guard.
  TempDir var;
  crashAfterActivatingOps(var.path(), "0");
  HostProcess h(var.path(), helloWith("hello_ops", "0"));
  CHECK(loadedVersion(h, "hello") == "6.6.6-ops");
  CHECK_FALSE(contains(h.log(), "crash guard:"));
}
