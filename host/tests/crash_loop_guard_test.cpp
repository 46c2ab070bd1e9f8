// Tests for host/src/runtime/crash_loop_guard: which artifact a restart loads after a host
// died with an activation pending. The end-to-end test (a real crash) is in
// tests/integration/ops_test.cpp.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "runtime/crash_loop_guard.hpp"
#include "support/test_util.hpp"

using namespace codestats::host;
using codestats::host::test::TempDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string makeImage(const TempDir& dir, const std::string& name, const std::string& content) {
  std::string path = dir.path + "/" + name;
  std::ofstream(path) << content;
  return path;
}

// A guard whose first activation of `module` (sha "good") has been promoted.
void promoteGood(CrashLoopGuard& g, const std::string& image) {
  g.activating("hello", "1.0.0", "goodsha", image);
  std::this_thread::sleep_for(60ms);
  g.promoteDue();
}

}  // namespace

TEST_CASE("crash guard: a restart after a crash with a pending activation loads the known-good copy", "[guard]") {
  TempDir dir;
  std::string state = dir.path + "/state";
  std::string v1 = makeImage(dir, "v1.so", "image one");
  {
    CrashLoopGuard g(state, 50ms);
    promoteGood(g, v1);
    g.activating("hello", "2.0.0", "badsha", makeImage(dir, "v2.so", "image two"));
    // the process dies here: no cleanShutdown, no promotion
  }
  fs::remove(v1);  // the operator's and the run copies may be gone; the guard kept its own
  CrashLoopGuard g(state, 50ms);
  auto choice = g.startupChoice("hello", "badsha");
  REQUIRE_FALSE(choice.artifact.empty());
  CHECK(fs::exists(choice.artifact));
  std::ifstream in(choice.artifact);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "image one");
  CHECK(choice.reason.find("hello 2.0.0") != std::string::npos);
  CHECK(choice.reason.find("known-good version hello 1.0.0") != std::string::npos);

  // The crashed version stays quarantined on the next start, too.
  auto again = g.startupChoice("hello", "badsha");
  CHECK(again.artifact == choice.artifact);
  CHECK(again.reason.find("crashed codestatsd before") != std::string::npos);
  // A different artifact (a fix) is loaded as configured.
  CHECK(g.startupChoice("hello", "fixedsha").artifact.empty());
}

TEST_CASE("crash guard: a clean shutdown or a survived window is not a crash", "[guard]") {
  TempDir dir;
  std::string state = dir.path + "/state";
  std::string v1 = makeImage(dir, "v1.so", "one");
  {
    CrashLoopGuard g(state, 50ms);
    promoteGood(g, v1);
    g.activating("hello", "2.0.0", "newsha", makeImage(dir, "v2.so", "two"));
    g.cleanShutdown();
  }
  {
    CrashLoopGuard g(state, 50ms);
    auto c = g.startupChoice("hello", "newsha");
    CHECK(c.artifact.empty());
    CHECK(c.reason.empty());
    g.activating("hello", "2.0.0", "newsha", makeImage(dir, "v2b.so", "two"));
    std::this_thread::sleep_for(60ms);
    g.promoteDue();  // survived: 2.0.0 is the known-good version now
  }
  CrashLoopGuard g(state, 50ms);
  CHECK(g.startupChoice("hello", "newsha").artifact.empty());
}

TEST_CASE("crash guard: a crash with nothing to fall back to loads the configured artifact and says why", "[guard]") {
  TempDir dir;
  std::string state = dir.path + "/state";
  {
    CrashLoopGuard g(state, 10s);
    g.activating("hello", "1.0.0", "firstsha", makeImage(dir, "v1.so", "one"));
  }
  CrashLoopGuard g(state, 10s);
  auto c = g.startupChoice("hello", "firstsha");
  CHECK(c.artifact.empty());
  CHECK(c.reason.find("no earlier known-good version") != std::string::npos);
}

TEST_CASE("crash guard: window 0 disables it", "[guard]") {
  TempDir dir;
  CrashLoopGuard g(dir.path + "/state", 0ms);
  g.activating("hello", "1.0.0", "sha", makeImage(dir, "v1.so", "one"));
  CHECK_FALSE(fs::exists(dir.path + "/state"));
  CHECK(g.startupChoice("hello", "sha").artifact.empty());
}
