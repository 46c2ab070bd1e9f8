// What the by-hand CPU benchmarks (not tests) share: the process's CPU time and a median.
#pragma once

#include <time.h>

#include <algorithm>
#include <vector>

namespace codestats::bench {

// CPU time of the whole process in nanoseconds (all threads).
inline double cpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace codestats::bench
