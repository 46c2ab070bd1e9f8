// Tests for host/src/util/secret_file (readOrCreateSecret) and host/src/util/random.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

#include "util/random.hpp"
#include "util/secret_file.hpp"
#include "support/test_util.hpp"

using namespace codestats::host;
using codestats::host::test::TempDir;

namespace {

mode_t modeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string& path, const std::string& content, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary);
    out << content;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

bool allIn(const std::string& s, const std::string& alphabet) {
  return s.find_first_not_of(alphabet) == std::string::npos;
}

}  // namespace

TEST_CASE("secret: creates the file with mode 0600", "[secret]") {
  TempDir dir;
  std::string path = dir.path + "/admin.token";
  int calls = 0;
  std::string v = readOrCreateSecret(path, [&] {
    ++calls;
    return std::string("s3cr3t-value");
  });
  CHECK(v == "s3cr3t-value");
  CHECK(calls == 1);
  CHECK(modeOf(path) == 0600);
  CHECK(slurp(path) == "s3cr3t-value\n");
  // no temporary file left behind
  size_t entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("secret: mode is 0600 even with a permissive umask", "[secret]") {
  TempDir dir;
  std::string path = dir.path + "/k";
  mode_t old = ::umask(0);
  std::string v;
  try {
    v = readOrCreateSecret(path, [] { return std::string("x"); });
  } catch (...) {
    ::umask(old);
    throw;
  }
  ::umask(old);
  CHECK(v == "x");
  CHECK(modeOf(path) == 0600);
}

TEST_CASE("secret: second call returns the stored value without calling make", "[secret]") {
  TempDir dir;
  std::string path = dir.path + "/secret_key_base";
  std::string first = readOrCreateSecret(path, [] { return randomHex(32); });
  REQUIRE(first.size() == 64);
  int calls = 0;
  std::string second = readOrCreateSecret(path, [&] {
    ++calls;
    return std::string("different");
  });
  CHECK(second == first);
  CHECK(calls == 0);
  CHECK(slurp(path) == first + "\n");  // file unchanged
}

TEST_CASE("secret: creates missing parent directories", "[secret]") {
  TempDir dir;
  std::string path = dir.path + "/var/run/deep/admin.token";
  CHECK(readOrCreateSecret(path, [] { return std::string("abc"); }) == "abc");
  CHECK(modeOf(path) == 0600);
}

TEST_CASE("secret: refuses a file readable by group or others", "[secret]") {
  TempDir dir;
  std::string path = dir.path + "/admin.token";
  int calls = 0;
  auto make = [&] {
    ++calls;
    return std::string("new");
  };
  for (mode_t mode : {mode_t(0644), mode_t(0640), mode_t(0604), mode_t(0660), mode_t(0601), mode_t(0610)}) {
    INFO("mode " << std::oct << mode);
    writeFile(path, "existing\n", mode);
    CHECK_THROWS_AS(readOrCreateSecret(path, make), std::runtime_error);
    CHECK(slurp(path) == "existing\n");  // not overwritten
  }
  CHECK(calls == 0);
  // the error tells the operator what to do
  writeFile(path, "existing\n", 0644);
  CHECK_THROWS_WITH(readOrCreateSecret(path, make), Catch::Matchers::Contains("chmod 600"));
  // 0400 is fine
  writeFile(path, "existing\n", 0400);
  CHECK(readOrCreateSecret(path, make) == "existing");
}

TEST_CASE("secret: trims trailing newline and whitespace", "[secret]") {
  TempDir dir;
  std::string path = dir.path + "/t";
  writeFile(path, "tok123\n", 0600);
  CHECK(readOrCreateSecret(path, [] { return std::string("x"); }) == "tok123");
  writeFile(path, "tok123\r\n", 0600);
  CHECK(readOrCreateSecret(path, [] { return std::string("x"); }) == "tok123");
  writeFile(path, "tok123  \n\n", 0600);
  CHECK(readOrCreateSecret(path, [] { return std::string("x"); }) == "tok123");
  writeFile(path, "tok123", 0600);
  CHECK(readOrCreateSecret(path, [] { return std::string("x"); }) == "tok123");
}

TEST_CASE("secret: an empty existing file is an error", "[secret]") {
  TempDir dir;
  std::string path = dir.path + "/t";
  writeFile(path, "\n", 0600);
  CHECK_THROWS_AS(readOrCreateSecret(path, [] { return std::string("x"); }), std::runtime_error);
}

TEST_CASE("random: randomHex length and alphabet", "[random]") {
  CHECK(randomHex(0).empty());
  for (size_t n : {1u, 2u, 16u, 32u, 33u}) {
    std::string s = randomHex(n);
    INFO("bytes " << n << ": " << s);
    CHECK(s.size() == 2 * n);
    CHECK(allIn(s, "0123456789abcdef"));
  }
}

TEST_CASE("random: randomBase64Url length and alphabet", "[random]") {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  CHECK(randomBase64Url(0).empty());
  // unpadded: ceil(4n/3) characters
  for (size_t n : {1u, 2u, 3u, 4u, 5u, 6u, 16u, 32u, 33u}) {
    std::string s = randomBase64Url(n);
    INFO("bytes " << n << ": " << s);
    CHECK(s.size() == (4 * n + 2) / 3);
    CHECK(allIn(s, alphabet));
    CHECK(s.find('=') == std::string::npos);
  }
  CHECK(randomBase64Url(32).size() == 43);
}

TEST_CASE("random: the whole alphabet is used", "[random]") {
  // 3000 random bytes -> 4000 characters; each of 64 symbols is ~62 times expected.
  std::string s = randomBase64Url(3000);
  std::set<char> seen(s.begin(), s.end());
  CHECK(seen.size() == 64);
  std::string h = randomHex(1000);
  std::set<char> hexSeen(h.begin(), h.end());
  CHECK(hexSeen.size() == 16);
}

TEST_CASE("random: two calls differ", "[random]") {
  CHECK(randomHex(16) != randomHex(16));
  CHECK(randomBase64Url(16) != randomBase64Url(16));
  CHECK(randomBytes(16) != randomBytes(16));
  CHECK(randomBytes(64).size() == 64);
  std::set<std::string> many;
  for (int i = 0; i < 1000; ++i) many.insert(randomHex(8));
  CHECK(many.size() == 1000);
}
