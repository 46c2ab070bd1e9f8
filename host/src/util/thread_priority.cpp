#include "util/thread_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace codestats::host {

void lowerThreadPriority() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  // On Linux, nice values are per thread; PRIO_PROCESS with a thread id targets that thread.
  setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
}

}  // namespace codestats::host
