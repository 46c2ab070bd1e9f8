// cache_dataset: writes a synthetic data set through the real schema (bench/dataset/dataset.hpp).
//   cache_dataset --sqlite FILE | --postgres CONNINFO [--users N] [--machines M] [--pulses P] [--seed S]
// The tables must exist and be empty: start codestatsd once with the web and ingest modules
// on the same database (bench/dataset/README.md, bench/cache.sh).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sinks.hpp"

int main(int argc, char** argv) {
  dataset::Options o;
  std::string sqlite, postgres;
  o.nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--sqlite") sqlite = v;
    else if (k == "--postgres") postgres = v;
    else if (k == "--users") o.users = std::atoll(v.c_str());
    else if (k == "--machines") o.machinesPerUser = std::atoll(v.c_str());
    else if (k == "--pulses") o.pulses = std::atoll(v.c_str());
    else if (k == "--seed") o.seed = std::strtoull(v.c_str(), nullptr, 10);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (sqlite.empty() == postgres.empty() || o.users < 1 || o.machinesPerUser < 1 || o.pulses < 0) {
    std::fprintf(stderr,
                 "usage: cache_dataset --sqlite FILE | --postgres CONNINFO [--users N] [--machines M] [--pulses P] "
                 "[--seed S]\n");
    return 2;
  }
  try {
    auto t0 = std::chrono::steady_clock::now();
    auto sink = sqlite.empty() ? dataset::postgresSink(postgres) : dataset::sqliteSink(sqlite);
    dataset::Summary s = dataset::generate(o, *sink);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"users\":%lld,\"machines\":%lld,\"pulses\":%lld,\"xps\":%lld,\"total_xp\":%lld,\"seconds\":%.1f}\n",
                static_cast<long long>(s.users), static_cast<long long>(s.machines), static_cast<long long>(s.pulses),
                static_cast<long long>(s.xps), static_cast<long long>(s.totalXp), secs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cache_dataset: %s\n", e.what());
    return 1;
  }
  return 0;
}
