// What the memory allocator holds: bytes handed out to the program, and bytes of the
// process's memory the allocator keeps (resident). codestatsd links jemalloc (decisions.md,
// "Memory after bursts"); a build without it (the sanitizer build) reports glibc's figures.
#pragma once

namespace codestats::host {

struct HeapStats {
  double allocated = 0;  // in use by the program
  double resident = 0;   // the allocator's resident pages (allocated + kept free + metadata)
};

HeapStats heapStats();

}  // namespace codestats::host
