// Tests for topicMatches() in host/src/runtime/generation.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/generation.hpp"

using codestats::host::topicMatches;

TEST_CASE("topic: exact patterns", "[topic]") {
  CHECK(topicMatches("pulse.created", "pulse.created"));
  CHECK_FALSE(topicMatches("pulse.created", "pulse.create"));
  CHECK_FALSE(topicMatches("pulse.created", "pulse.created.x"));
  CHECK_FALSE(topicMatches("pulse.created", "Pulse.created"));
  CHECK_FALSE(topicMatches("pulse.created", ""));
  CHECK(topicMatches("a", "a"));
  CHECK_FALSE(topicMatches("a", "b"));
}

TEST_CASE("topic: prefix patterns ending in .*", "[topic]") {
  CHECK(topicMatches("a.*", "a.b"));
  CHECK(topicMatches("a.*", "a.b.c"));
  CHECK_FALSE(topicMatches("a.*", "a"));
  CHECK_FALSE(topicMatches("a.*", "a."));  // nothing after the dot
  CHECK_FALSE(topicMatches("a.*", "ab.c"));
  CHECK_FALSE(topicMatches("a.*", "ab"));
  CHECK_FALSE(topicMatches("a.*", "b.a.c"));
  CHECK_FALSE(topicMatches("a.*", ""));
  CHECK(topicMatches("user.pulse.*", "user.pulse.created"));
  CHECK_FALSE(topicMatches("user.pulse.*", "user.pulses.created"));
  CHECK_FALSE(topicMatches("user.pulse.*", "user.pulse"));
}

TEST_CASE("topic: * matches every topic", "[topic]") {
  CHECK(topicMatches("*", "a"));
  CHECK(topicMatches("*", "a.b.c"));
  CHECK(topicMatches("*", ""));
}

TEST_CASE("topic: * elsewhere is literal", "[topic]") {
  CHECK_FALSE(topicMatches("a*", "ab"));
  CHECK(topicMatches("a*", "a*"));
  CHECK_FALSE(topicMatches("*.b", "a.b"));
  CHECK_FALSE(topicMatches("a.*.c", "a.b.c"));
}
