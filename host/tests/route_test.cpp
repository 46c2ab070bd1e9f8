// Tests for host/src/http/route_pattern: RoutePattern and PathSegments.
#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <string>

#include "http/route_pattern.hpp"

using namespace codestats::host;

namespace {

// Matches a normalised path against a pattern; returns the score, fills params.
std::optional<int> matchPath(const std::string& pattern, const std::string& path, RouteParams& params) {
  RoutePattern p(pattern);
  PathSegments segs(path);
  return p.match(segs, params);
}

std::optional<int> matchPath(const std::string& pattern, const std::string& path) {
  RouteParams params;
  return matchPath(pattern, path, params);
}

}  // namespace

TEST_CASE("route: PathSegments splits a normalised path", "[route]") {
  SECTION("root has no parts") {
    PathSegments s("/");
    CHECK(s.size() == 0);
    CHECK_FALSE(s.tooDeep);
  }
  SECTION("parts and offsets") {
    PathSegments s("/api/my/pulses");
    REQUIRE(s.size() == 3);
    CHECK_FALSE(s.tooDeep);
    CHECK(s.parts[0] == "api");
    CHECK(s.parts[1] == "my");
    CHECK(s.parts[2] == "pulses");
    CHECK(s.offsets[0] == 1);
    CHECK(s.offsets[1] == 5);
    CHECK(s.offsets[2] == 8);
    CHECK(s.path == "/api/my/pulses");
  }
}

TEST_CASE("route: literal patterns", "[route]") {
  RouteParams params{{"stale", "x"}};
  CHECK(matchPath("/api/my/pulses", "/api/my/pulses", params).has_value());
  CHECK(params.empty());  // cleared on match
  CHECK_FALSE(matchPath("/api/my/pulses", "/api/my/pulse"));
  CHECK_FALSE(matchPath("/api/my/pulses", "/api/your/pulses"));
  CHECK_FALSE(matchPath("/api", "/API"));  // case-sensitive
}

TEST_CASE("route: no partial matches in either direction", "[route]") {
  CHECK_FALSE(matchPath("/a", "/a/b"));
  CHECK_FALSE(matchPath("/a/b", "/a"));
  CHECK_FALSE(matchPath("/a/:id", "/a"));
  CHECK_FALSE(matchPath("/a/:id", "/a/1/2"));
  CHECK_FALSE(matchPath("/a", "/ab"));
  CHECK_FALSE(matchPath("/ab", "/a"));
}

TEST_CASE("route: root pattern", "[route]") {
  auto s = matchPath("/", "/");
  REQUIRE(s);
  CHECK(*s == 0);
  CHECK_FALSE(matchPath("/", "/a"));
  CHECK_FALSE(matchPath("/a", "/"));
  CHECK_FALSE(matchPath("/:x", "/"));
}

TEST_CASE("route: :param captures one segment", "[route]") {
  RouteParams params;
  REQUIRE(matchPath("/users/:user/pulses/:id", "/users/alice/pulses/42", params));
  REQUIRE(params.size() == 2);
  CHECK(params[0] == std::make_pair(std::string("user"), std::string("alice")));
  CHECK(params[1] == std::make_pair(std::string("id"), std::string("42")));
}

TEST_CASE("route: *rest captures the remainder", "[route]") {
  RouteParams params;
  SECTION("one segment") {
    REQUIRE(matchPath("/static/*file", "/static/app.js", params));
    REQUIRE(params.size() == 1);
    CHECK(params[0].first == "file");
    CHECK(params[0].second == "app.js");
  }
  SECTION("several segments, slashes kept") {
    REQUIRE(matchPath("/static/*file", "/static/css/site/main.css", params));
    REQUIRE(params.size() == 1);
    CHECK(params[0].second == "css/site/main.css");
  }
  SECTION("empty rest") {
    REQUIRE(matchPath("/static/*file", "/static", params));
    REQUIRE(params.size() == 1);
    CHECK(params[0].first == "file");
    CHECK(params[0].second.empty());
  }
  SECTION("root rest matches everything") {
    REQUIRE(matchPath("/*all", "/", params));
    CHECK(params.at(0).second.empty());
    REQUIRE(matchPath("/*all", "/x/y", params));
    CHECK(params.at(0).second == "x/y");
  }
  SECTION("with a :param before it") {
    REQUIRE(matchPath("/u/:name/*path", "/u/bob/a/b", params));
    REQUIRE(params.size() == 2);
    CHECK(params[0] == std::make_pair(std::string("name"), std::string("bob")));
    CHECK(params[1] == std::make_pair(std::string("path"), std::string("a/b")));
  }
  SECTION("the literal prefix must still match") {
    CHECK_FALSE(matchPath("/static/*file", "/other/app.js", params));
    CHECK_FALSE(matchPath("/static/*file", "/staticx/app.js", params));
  }
}

TEST_CASE("route: scores prefer literal segments", "[route]") {
  const std::string path = "/api/users/me";
  auto literal = matchPath("/api/users/me", path);
  auto param = matchPath("/api/users/:id", path);
  auto twoParams = matchPath("/api/:kind/:id", path);
  auto rest = matchPath("/api/*rest", path);
  auto restRoot = matchPath("/*rest", path);
  REQUIRE(literal);
  REQUIRE(param);
  REQUIRE(twoParams);
  REQUIRE(rest);
  REQUIRE(restRoot);
  CHECK(*literal > *param);
  CHECK(*param > *twoParams);
  CHECK(*twoParams > *rest);
  CHECK(*rest > *restRoot);
  // a capture still counts for something
  CHECK(*matchPath("/:a", "/x") > *matchPath("/*a", "/x"));
}

TEST_CASE("route: pattern text is normalised", "[route]") {
  CHECK(RoutePattern("/a//b/").text() == "/a/b");
  CHECK(RoutePattern("/").text() == "/");
  CHECK(matchPath("/a//b/", "/a/b"));
}

TEST_CASE("route: malformed patterns throw invalid_argument", "[route]") {
  CHECK_THROWS_AS(RoutePattern(""), std::invalid_argument);
  CHECK_THROWS_AS(RoutePattern("a/b"), std::invalid_argument);
  CHECK_THROWS_AS(RoutePattern("*rest"), std::invalid_argument);
  CHECK_THROWS_AS(RoutePattern("/*rest/x"), std::invalid_argument);
  CHECK_THROWS_AS(RoutePattern("/a/*rest/:id"), std::invalid_argument);
  CHECK_THROWS_AS(RoutePattern("/a/:"), std::invalid_argument);
  CHECK_THROWS_AS(RoutePattern("/:/b"), std::invalid_argument);
  CHECK_THROWS_AS(RoutePattern("/a/*"), std::invalid_argument);
  CHECK_NOTHROW(RoutePattern("/a/:id/*rest"));
  CHECK_NOTHROW(RoutePattern("/"));
}

namespace {

std::string deepPath(size_t segments, const std::string& seg = "s") {
  std::string p;
  for (size_t i = 0; i < segments; ++i) p += "/" + seg;
  return p.empty() ? "/" : p;
}

}  // namespace

TEST_CASE("route: paths deeper than kMaxSegments match nothing", "[route]") {
  const size_t max = PathSegments::kMaxSegments;
  SECTION("exactly kMaxSegments is fine") {
    std::string path = deepPath(max);
    PathSegments s(path);
    CHECK_FALSE(s.tooDeep);
    CHECK(s.size() == max);
    CHECK(s.parts[max - 1] == "s");
    CHECK(matchPath(path, path));
    RouteParams params;
    REQUIRE(matchPath("/*rest", path, params));
    CHECK(params.at(0).second == path.substr(1));
  }
  SECTION("one more is tooDeep and even a catch-all does not match") {
    std::string path = deepPath(max + 1);
    PathSegments s(path);
    CHECK(s.tooDeep);
    RouteParams params;
    CHECK_FALSE(matchPath("/*rest", path, params));
    CHECK_FALSE(matchPath("/s/*rest", path, params));
  }
  SECTION("a pattern with too many segments is rejected") {
    CHECK_THROWS_AS(RoutePattern(deepPath(max + 1)), std::invalid_argument);
    CHECK_NOTHROW(RoutePattern(deepPath(max)));
  }
}
