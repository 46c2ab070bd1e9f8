#include "services/heap_stats.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>
#include <cstdint>

namespace codestats::host {
namespace {

using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);

// jemalloc's control interface when it is the process's allocator (linked or preloaded);
// looked up at run time so that the host library needs no jemalloc headers.
Mallctl mallctlFunction() {
  static const Mallctl fn = reinterpret_cast<Mallctl>(::dlsym(RTLD_DEFAULT, "mallctl"));
  return fn;
}

}  // namespace

HeapStats heapStats() {
  HeapStats s;
  if (Mallctl mallctl = mallctlFunction()) {
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, sizeof epoch);  // refreshes the statistics
    size_t allocated = 0, resident = 0;
    len = sizeof allocated;
    if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) == 0) s.allocated = static_cast<double>(allocated);
    len = sizeof resident;
    if (mallctl("stats.resident", &resident, &len, nullptr, 0) == 0) s.resident = static_cast<double>(resident);
    return s;
  }
  const struct mallinfo2 m = ::mallinfo2();
  s.allocated = static_cast<double>(m.uordblks + m.hblkhd);
  s.resident = static_cast<double>(m.arena + m.hblkhd);
  return s;
}

}  // namespace codestats::host
