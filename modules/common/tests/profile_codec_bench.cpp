// CPU time to read one cache.v1 profile answer (a year of dates, 24 languages, 2 machines,
// 14 days x 6 languages): decodeProfile against the Poco::JSON reader web used before
// (kept here only as the baseline). Not a test and not in the default build:
//   cmake --build build --target common_profile_codec_bench
//   build/bin/common_profile_codec_bench [ROUNDS] [CALLS_PER_ROUND]
// Rounds alternate old/new; the median ns per call of each is printed, and encodeProfile's.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cpu_time.hpp"
#include "common/profile_codec.hpp"
#include "common/timestamp.hpp"

using namespace codestats::common;

namespace {

using codestats::bench::cpuNs;
using codestats::bench::median;

Profile sample() {
  Profile p;
  p.userId = 1;
  p.username = "user000001";
  p.registeredMs = 1500000000000;
  p.totalXp = 80000;
  for (int i = 0; i < 24; ++i) p.languages.push_back({"Language " + std::to_string(i), 4000 - i * 100, i % 3 * 10});
  p.machines = {{"laptop", 50000, 30}, {"desktop", 30000, 0}};
  for (int d = 0; d < 365; ++d) {
    int64_t y;
    unsigned m, day;
    civilFromDays(19000 + d, y, m, day);
    p.dates.emplace_back(static_cast<int32_t>(y * 10000 + m * 100 + day), 100 + d);
  }
  for (int h = 0; h < 24; ++h) p.hours.emplace_back(h, 1000 + h);
  p.lastPulseAtMs = 1700000000000;
  p.dayLanguageSince = p.dates[350].first;
  for (int d = 351; d < 365; ++d)
    for (int l = 0; l < 6; ++l)
      p.dayLanguages.push_back(
          {p.dates[static_cast<size_t>(d)].first, p.languages[static_cast<size_t>(l)].name, 10 + l});
  p.stamp = "00000000000000ab-3-9-1483315200000";
  return p;
}

// The reader web had before the shared codec: Poco's DOM, then a walk over it.
Profile pocoDecode(const std::string& json) {
  auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
  Profile p;
  p.username = root->getValue<std::string>("user");
  p.userId = root->getValue<int64_t>("user_id");
  p.totalXp = root->getValue<int64_t>("total_xp");
  auto xps = [](const Poco::JSON::Object::Ptr& o) {
    std::vector<NamedXp> out;
    for (const auto& [name, v] : *o) {
      auto e = v.extract<Poco::JSON::Object::Ptr>();
      out.push_back({name, e->getValue<int64_t>("xps"), e->optValue<int64_t>("new_xps", 0)});
    }
    return out;
  };
  p.languages = xps(root->getObject("languages"));
  p.machines = xps(root->getObject("machines"));
  for (const auto& [k, v] : *root->getObject("dates"))
    if (auto d = parseIsoDate(k)) p.dates.emplace_back(*d, v.convert<int64_t>());
  for (const auto& [k, v] : *root->getObject("hours")) p.hours.emplace_back(std::stoi(k), v.convert<int64_t>());
  auto rows = root->getArray("day_language_xps");
  for (size_t i = 0; i < rows->size(); ++i) {
    auto r = rows->getObject(static_cast<unsigned>(i));
    if (auto d = parseIsoDate(r->getValue<std::string>("date")))
      p.dayLanguages.push_back({*d, r->getValue<std::string>("language"), r->getValue<int64_t>("xp")});
  }
  p.stamp = root->optValue<std::string>("stamp", "");
  return p;
}

template <typename F>
double nsPerCall(int calls, F&& f) {
  double start = cpuNs();
  for (int i = 0; i < calls; ++i) f();
  return (cpuNs() - start) / calls;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  int calls = argc > 2 ? std::atoi(argv[2]) : 2000;
  const Profile p = sample();
  const std::string json = encodeProfile(p);
  size_t sink = 0;
  std::vector<double> before, after, encode;
  for (int r = 0; r < rounds; ++r) {
    before.push_back(nsPerCall(calls, [&] { sink += pocoDecode(json).dates.size(); }));
    after.push_back(nsPerCall(calls, [&] { sink += decodeProfile(json).dates.size(); }));
    encode.push_back(nsPerCall(calls, [&] { sink += encodeProfile(p).size(); }));
  }
  std::printf("answer: %zu bytes; %d rounds x %d calls (sink %zu)\n", json.size(), rounds, calls, sink);
  std::printf("decode, Poco::JSON reader (before): %.0f ns/call (median)\n", median(before));
  std::printf("decode, decodeProfile (rapidjson):  %.0f ns/call (median)\n", median(after));
  std::printf("encode, encodeProfile:              %.0f ns/call (median)\n", median(encode));
  return 0;
}
