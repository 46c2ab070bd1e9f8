// Tells systemd (Type=notify units; NOTIFY_SOCKET set) what the host is doing: READY=1 once
// it serves, STOPPING=1 at shutdown, and after an upgrade the new process's MAINPID (the
// unit needs NotifyAccess=all: the new process is not yet the main one when it says so).
// Without NOTIFY_SOCKET (not under systemd) nothing happens.
#pragma once

#include <string>

namespace codestats::host {

void notifySystemd(const std::string& state);

}  // namespace codestats::host
