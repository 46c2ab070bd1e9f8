// The kept profile bodies: replaced by key, bounded by count and bytes.
#include <catch2/catch.hpp>

#include "rendered_profiles.hpp"

using codestats::web::RenderedProfiles;

TEST_CASE("rendered profiles: a body is kept with its stamp and replaced by the next one", "[web]") {
  RenderedProfiles r;
  CHECK_FALSE(r.get("api:ann"));
  r.put("api:ann", "s1", "{\"user\":\"ann\"}");
  auto e = r.get("api:ann");
  REQUIRE(e);
  CHECK(e->stamp == "s1");
  CHECK(*e->body == "{\"user\":\"ann\"}");
  r.put("api:ann", "s2", "{}");
  CHECK(r.get("api:ann")->stamp == "s2");
  CHECK(r.size() == 1);
  CHECK(r.bytes() == std::string("api:ann").size() + 2 + 2);
  // A body handed out stays valid after its entry is replaced or erased.
  auto held = r.get("api:ann")->body;
  r.erase("api:ann");
  CHECK_FALSE(r.get("api:ann"));
  CHECK(*held == "{}");
  CHECK(r.bytes() == 0);
}

TEST_CASE("rendered profiles: the entry and byte bounds evict the oldest entries", "[web]") {
  RenderedProfiles byCount(16 * 2, size_t{1} << 20);  // 2 per shard
  for (int i = 0; i < 1000; ++i) byCount.put("k" + std::to_string(i), "s", "body");
  CHECK(byCount.size() <= 32);
  CHECK(byCount.get("k999"));  // the newest survives

  RenderedProfiles byBytes(8192, 16 * 100);  // 100 bytes per shard
  for (int i = 0; i < 200; ++i) byBytes.put("k" + std::to_string(i), "s", std::string(40, 'x'));
  CHECK(byBytes.bytes() <= 16 * 100);
  CHECK(byBytes.get("k199"));
  byBytes.put("huge", "s", std::string(1000, 'x'));  // larger than a shard's share: not kept
  CHECK_FALSE(byBytes.get("huge"));
}
