// Tests for host/src/http/path_normalizer: splitTarget and normalizePath.
#include <catch2/catch.hpp>

#include <string>

#include "http/path_normalizer.hpp"

using namespace codestats::host;

namespace {

// The normalised path of an accepted target (fails the test on rejection).
std::string pathOf(std::string_view target) {
  auto r = splitTarget(target);
  INFO("target: " << std::string(target));
  REQUIRE(r.has_value());
  return r->path;
}

}  // namespace

TEST_CASE("path: normalizePath collapses slashes and drops a trailing slash", "[path]") {
  CHECK(normalizePath("/api//my/pulses") == "/api/my/pulses");
  CHECK(normalizePath("/api/my/pulses/") == "/api/my/pulses");
  CHECK(normalizePath("/api///my////pulses//") == "/api/my/pulses");
  CHECK(normalizePath("/") == "/");
  CHECK(normalizePath("//") == "/");
  CHECK(normalizePath("///") == "/");
  CHECK(normalizePath("") == "/");
  CHECK(normalizePath("a/b") == "/a/b");  // always rooted
  CHECK(normalizePath("/a") == "/a");
  CHECK(normalizePath("/a%2Fb") == "/a%2Fb");  // percent-encoding untouched
}

TEST_CASE("path: splitTarget normalises the path", "[path]") {
  CHECK(pathOf("/api//my/pulses") == "/api/my/pulses");
  CHECK(pathOf("/api/my/pulses/") == "/api/my/pulses");
  CHECK(pathOf("/") == "/");
  CHECK(pathOf("//") == "/");
  CHECK(pathOf("/a/b/c") == "/a/b/c");
  CHECK(pathOf("/users/%41bc") == "/users/%41bc");
  // segments that merely contain dots are fine
  CHECK(pathOf("/a/.well-known/x") == "/a/.well-known/x");
  CHECK(pathOf("/a/...") == "/a/...");
  CHECK(pathOf("/a/..b") == "/a/..b");
  CHECK(pathOf("/file.tar.gz") == "/file.tar.gz");
}

TEST_CASE("path: splitTarget separates the query", "[path]") {
  SECTION("simple query") {
    auto r = splitTarget("/a?b=1");
    REQUIRE(r);
    CHECK(r->path == "/a");
    CHECK(r->query == "b=1");
  }
  SECTION("no query gives an empty query") {
    auto r = splitTarget("/a/b");
    REQUIRE(r);
    CHECK(r->query.empty());
  }
  SECTION("empty query after '?'") {
    auto r = splitTarget("/a?");
    REQUIRE(r);
    CHECK(r->path == "/a");
    CHECK(r->query.empty());
  }
  SECTION("only the first '?' splits; slashes in the query are not normalised") {
    auto r = splitTarget("/a//b/?x=1?y=//2/");
    REQUIRE(r);
    CHECK(r->path == "/a/b");
    CHECK(r->query == "x=1?y=//2/");
  }
  SECTION("query on the root") {
    auto r = splitTarget("/?q=1&r=2");
    REQUIRE(r);
    CHECK(r->path == "/");
    CHECK(r->query == "q=1&r=2");
  }
}

TEST_CASE("path: splitTarget drops the fragment", "[path]") {
  SECTION("fragment without query") {
    auto r = splitTarget("/a/b#frag");
    REQUIRE(r);
    CHECK(r->path == "/a/b");
    CHECK(r->query.empty());
  }
  SECTION("fragment after query") {
    auto r = splitTarget("/a?b=1#frag");
    REQUIRE(r);
    CHECK(r->path == "/a");
    CHECK(r->query == "b=1");
  }
  SECTION("fragment only") {
    auto r = splitTarget("/#top");
    REQUIRE(r);
    CHECK(r->path == "/");
  }
}

TEST_CASE("path: splitTarget rejects non-origin-form targets", "[path]") {
  CHECK_FALSE(splitTarget("").has_value());
  CHECK_FALSE(splitTarget("*").has_value());
  CHECK_FALSE(splitTarget("http://x/y").has_value());
  CHECK_FALSE(splitTarget("x/y").has_value());
  CHECK_FALSE(splitTarget("?a=1").has_value());
  CHECK_FALSE(splitTarget("example.com:443").has_value());
}

TEST_CASE("path: splitTarget rejects control characters in the path", "[path]") {
  CHECK_FALSE(splitTarget("/a\nb").has_value());
  CHECK_FALSE(splitTarget("/a\rb").has_value());
  CHECK_FALSE(splitTarget("/a\tb").has_value());
  CHECK_FALSE(splitTarget("/a\x7f").has_value());
  CHECK_FALSE(splitTarget("/a\x01").has_value());
  CHECK_FALSE(splitTarget(std::string_view("/a\0b", 4)).has_value());
  // bytes >= 0x80 are not control characters
  CHECK(splitTarget("/caf\xc3\xa9").has_value());
}

TEST_CASE("path: splitTarget rejects dot segments", "[path]") {
  CHECK_FALSE(splitTarget("/a/../b").has_value());
  CHECK_FALSE(splitTarget("/./a").has_value());
  CHECK_FALSE(splitTarget("/..").has_value());
  CHECK_FALSE(splitTarget("/.").has_value());
  CHECK_FALSE(splitTarget("/a/..").has_value());
  CHECK_FALSE(splitTarget("/a/../").has_value());
  CHECK_FALSE(splitTarget("/a/.").has_value());
  CHECK_FALSE(splitTarget("//..//a").has_value());  // found after slash collapsing
  CHECK_FALSE(splitTarget("/a/..?x=1").has_value());
  // a dot segment in the query is not a path segment
  auto r = splitTarget("/a?p=../b");
  REQUIRE(r);
  CHECK(r->query == "p=../b");
}
