// The avatar proxy's pure parts: the Gravatar hash (spec §7.11, §12's vectors) and the
// cache (§10.3: TTLs, one fetch per hash for concurrent readers, the byte bound).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "avatar_cache.hpp"
#include "gravatar.hpp"

using namespace codestats::web;
using namespace std::chrono_literals;

TEST_CASE("gravatar hash: MD5 of the trimmed, lower-cased address", "[avatar]") {
  // The original's doctests (spec §12): md5 of the text.
  CHECK(gravatarHash("foo") == "acbd18db4cc2f85cedef654fccc4a4d8");
  CHECK(gravatarHash("foo@bar.example") == "356321a16f5bfa0ac6fe84b259cfa3e3");
  // Gravatar's rule, which the original skipped (quirk 9, fixed): trim, then lower-case.
  CHECK(gravatarHash("  Foo@BAR.example\t\n") == "356321a16f5bfa0ac6fe84b259cfa3e3");
  CHECK(gravatarHash("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(gravatarPath("abc") == "/avatar/abc?default=retro&rating=g&size=200");
}

namespace {

struct FakeClock {
  std::atomic<int64_t> ms{0};
  AvatarCache::Clock::time_point now() const {
    return AvatarCache::Clock::time_point(std::chrono::milliseconds(ms.load()));
  }
};

Avatar image(const std::string& bytes) { return Avatar{true, "image/png", bytes, "\"e\"", {}}; }

}  // namespace

TEST_CASE("avatar cache: an image lives 1 h, a failure 60 s", "[avatar]") {
  FakeClock clock;
  AvatarCache cache({1h, 60s, 1 << 20}, [&] { return clock.now(); });
  int fetches = 0;
  auto ok = [&] {
    ++fetches;
    return image("png-" + std::to_string(fetches));
  };
  CHECK(cache.get("a", ok)->bytes == "png-1");
  clock.ms = 3599'000;
  CHECK(cache.get("a", ok)->bytes == "png-1");
  CHECK(fetches == 1);
  clock.ms = 3600'000;
  CHECK(cache.get("a", ok)->bytes == "png-2");
  CHECK(fetches == 2);

  int failures = 0;
  auto down = [&]() -> Avatar {
    ++failures;
    throw std::runtime_error("connection refused");
  };
  auto r = cache.get("b", down);
  CHECK_FALSE(r->ok);
  CHECK(r->error == "connection refused");
  clock.ms += 59'000;
  CHECK_FALSE(cache.get("b", down)->ok);
  CHECK(failures == 1);
  clock.ms += 1'000;
  CHECK(cache.get("b", ok)->ok);
  CHECK(failures == 1);
  CHECK(cache.stats().fetches == 4);
}

TEST_CASE("avatar cache: concurrent requests for one hash share one fetch", "[avatar]") {
  AvatarCache cache({1h, 60s, 1 << 20});
  std::atomic<int> fetches{0}, started{0};
  auto slow = [&] {
    ++fetches;
    std::this_thread::sleep_for(200ms);  // the other readers arrive while this runs
    return image("x");
  };
  std::vector<std::thread> threads;
  std::atomic<int> served{0};
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&] {
      ++started;
      if (cache.get("h", slow)->bytes == "x") ++served;
    });
  for (auto& t : threads) t.join();
  CHECK(served == 16);
  CHECK(fetches == 1);
}

TEST_CASE("avatar cache: bounded in bytes, least recently used out first", "[avatar]") {
  // Each entry costs its bytes plus a fixed 256-byte overhead (plus the key): 3 fit in 4000.
  AvatarCache cache({1h, 60s, 4000});
  int fetches = 0;
  auto fetch = [&] {
    ++fetches;
    return image(std::string(1000, 'x'));
  };
  cache.get("a", fetch);
  cache.get("b", fetch);
  cache.get("c", fetch);
  cache.get("a", fetch);  // a is now the most recent
  CHECK(fetches == 3);
  cache.get("d", fetch);  // evicts b
  CHECK(cache.stats().entries == 3);
  CHECK(cache.stats().bytes <= 4000);
  cache.get("a", fetch);
  CHECK(fetches == 4);
  cache.get("b", fetch);
  CHECK(fetches == 5);
  // An image larger than the whole cache is served but not kept.
  auto huge = [&] {
    ++fetches;
    return image(std::string(5000, 'y'));
  };
  CHECK(cache.get("h", huge)->bytes.size() == 5000);
  CHECK(cache.get("h", huge)->bytes.size() == 5000);
  CHECK(fetches == 7);
}
