// Small helpers shared by the host unit tests.
#pragma once

#include <catch2/catch.hpp>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace codestats::host::test {

// A mkdtemp() directory removed at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/codestatsd_test_XXXXXX";
    char* p = ::mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Writes `content` to <path>/<name> and returns the file's path.
  std::string write(const std::string& name, const std::string& content) const {
    std::string file = path + "/" + name;
    std::ofstream(file) << content;
    return file;
  }
};

// Polls until pred() is true or the limit passes; returns pred().
template <class Pred>
bool waitFor(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return pred();
}

}  // namespace codestats::host::test
