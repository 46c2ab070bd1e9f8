// Tests for host/src/runtime/artifact_file through ModuleLoader::artifactSha256: only a
// regular file (or a symlink to one) is an artifact; anything else is refused at once with
// a reason naming what it is (a FIFO used to block the hash, and with it SIGHUP, forever).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "runtime/artifact_file.hpp"
#include "runtime/module_loader.hpp"
#include "support/test_util.hpp"

using namespace codestats::host;
using Catch::Matchers::Contains;
using codestats::host::test::TempDir;
namespace fs = std::filesystem;

namespace {

const char* kAbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

// artifactSha256's error, or "" when it returned a hash; fails the test if it does not
// return within 5 s.
std::string shaError(const ModuleLoader& loader, const std::string& path) {
  auto f = std::async(std::launch::async, [&]() -> std::string {
    try {
      loader.artifactSha256(path);
      return "";
    } catch (const LoadError& e) {
      return e.what();
    }
  });
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    // a reader blocked on a FIFO: let it go, so the test can end
    int w = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
    if (w >= 0) ::close(w);
    FAIL_CHECK("artifactSha256(" << path << ") blocked");
  }
  return f.get();
}

}  // namespace

TEST_CASE("artifacts: a regular file, also through a symlink, is hashed", "[modules][artifact]") {
  TempDir dir;
  ModuleLoader loader(dir.path + "/run", false);
  std::string file = dir.write("m.so", "abc");
  CHECK(loader.artifactSha256(file) == kAbcSha256);
  fs::create_symlink(file, dir.path + "/current.so");
  CHECK(loader.artifactSha256(dir.path + "/current.so") == kAbcSha256);
}

TEST_CASE("artifacts: directories, FIFOs, devices are refused with what they are", "[modules][artifact]") {
  TempDir dir;
  ModuleLoader loader(dir.path + "/run", false);
  fs::create_directory(dir.path + "/d.so");
  REQUIRE(::mkfifo((dir.path + "/fifo.so").c_str(), 0600) == 0);
  fs::create_symlink(dir.path + "/d.so", dir.path + "/link-to-dir.so");
  dir.write("m.so", "abc");

  CHECK_THAT(shaError(loader, dir.path + "/d.so"), Contains("is a directory; an artifact must be a regular file"));
  CHECK_THAT(shaError(loader, dir.path + "/link-to-dir.so"), Contains("is a directory"));
  CHECK_THAT(shaError(loader, dir.path + "/fifo.so"), Contains("is a FIFO"));
  CHECK_THAT(shaError(loader, "/dev/null"), Contains("/dev/null is a character device"));
  CHECK_THAT(shaError(loader, dir.path + "/missing.so"), Contains("artifact not found"));
  CHECK_THAT(shaError(loader, dir.path + "/m.so/x"), Contains("artifact not found"));
}

TEST_CASE("artifacts: the copy is the content of the file that was opened", "[modules][artifact]") {
  TempDir dir;
  std::string file = dir.write("m.so", "abc");
  ArtifactFile artifact(file);
  // replaced after the open (an operator installing the next version): the copy still
  // gets what was opened and hashed
  dir.write("m.so.new", "something else");
  fs::rename(dir.path + "/m.so.new", file);
  std::string copy = dir.path + "/copy.so";
  artifact.copyTo(copy);
  CHECK(artifact.sha256() == kAbcSha256);
  std::ifstream in(copy);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "abc");
  struct stat st {};
  REQUIRE(::stat(copy.c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0);
}
