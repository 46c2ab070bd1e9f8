// Small helpers shared by the operations tests (ops_test, crash_guard_test, crash_safety,
// backup_restore_test).
#pragma once

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "host_process.hpp"

namespace codestats::test {

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// codestatsctl ARGS against the host; the test stops unless it exits 0.
inline std::string run(const HostProcess& h, const std::vector<std::string>& args) {
  std::string out;
  int rc = h.ctl(args, out);
  INFO(out);
  REQUIRE(rc == 0);
  return out;
}

// A pulse's coded_at `agoSeconds` before now, RFC 3339 UTC.
inline std::string isoSecondsAgo(int agoSeconds) {
  std::time_t t = std::time(nullptr) - agoSeconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

inline Poco::JSON::Object::Ptr parseObject(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Object::Ptr>();
}

template <typename F>
bool eventually(F f, int ms = 10000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline std::string loadedVersion(const HostProcess& h, const std::string& module) {
  auto r = h.admin("GET", "/admin/modules/" + module);
  if (r.status != 200) return "";
  return parseObject(r.body)->getArray("modules")->getObject(0)->optValue<std::string>("version", "");
}

}  // namespace codestats::test
