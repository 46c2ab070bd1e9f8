// Operator work (loading modules, draining, retiring generations) runs at a lower CPU
// priority than serving, so a reload storm does not show in request latency.
#pragma once

namespace codestats::host {

// Lowers the calling thread's priority (nice +10, Linux per-thread). Idempotent, cheap.
void lowerThreadPriority();

}  // namespace codestats::host
