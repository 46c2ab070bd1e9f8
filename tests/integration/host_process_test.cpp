// The test harness's child processes: they keep no descriptor of the test process. A
// listening socket of a stand-in server inherited by a host outlived the stand-in, and
// connections to the next stand-in on that port (SO_REUSEPORT) landed in the orphan's queue
// and timed out (the mail TLS test's "mailgun: Timeout" flake).
#include <catch2/catch.hpp>

#include <Poco/Net/ServerSocket.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "host_process.hpp"

using namespace codestats::test;

namespace {

// "socket:[inode]" of every socket among pid's open descriptors.
std::set<std::string> socketsOf(pid_t pid) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind("socket:", 0) == 0) out.insert(target);
  }
  return out;
}

// What pid's descriptors from number `from` on point at ("socket:[inode]", "pipe:[inode]", a path).
std::set<std::string> targetsOf(pid_t pid, int from) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    if (std::stoi(e.path().filename().string()) < from) continue;
    std::error_code rec;
    auto target = std::filesystem::read_symlink(e.path(), rec).string();
    if (!rec) out.insert(target);
  }
  return out;
}

std::string socketName(const Poco::Net::ServerSocket& s) {
  struct stat st {};
  REQUIRE(::fstat(s.impl()->sockfd(), &st) == 0);
  return "socket:[" + std::to_string(st.st_ino) + "]";
}

}  // namespace

TEST_CASE("a started host holds no socket of the test process", "[harness]") {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));  // as Poco makes them: inheritable
  REQUIRE((::fcntl(listener.impl()->sockfd(), F_GETFD) & FD_CLOEXEC) == 0);
  HostProcess h;
  auto held = socketsOf(h.pid());
  CHECK_FALSE(held.empty());  // its own listeners: the check sees sockets
  CHECK(held.count(socketName(listener)) == 0);
}

TEST_CASE("spawnProcess children keep only stdin, stdout and stderr", "[harness]") {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  REQUIRE((::fcntl(listener.impl()->sockfd(), F_GETFD) & FD_CLOEXEC) == 0);
  pid_t pid = spawnProcess({"/bin/sleep", "10"});
  // until the exec has happened (the forked child still has every descriptor); the 10 s are
  // only for a machine that is stuck
  bool execed = false;
  for (int i = 0; i < 1000 && !execed; ++i) {
    std::error_code ec;
    execed = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).filename() == "sleep";
    if (!execed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Compared by what the descriptors point at, not by number: sleep itself may hold a
  // descriptor of its own for a moment after the exec (its locale files), which is not one
  // it inherited (CI saw fd 3 that way).
  auto parent = targetsOf(::getpid(), 3);
  auto child = targetsOf(pid, 3);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  REQUIRE(execed);
  REQUIRE(parent.count(socketName(listener)) == 1);  // the check sees the test's descriptors
  for (const auto& t : child) CHECK(parent.count(t) == 0);
}
