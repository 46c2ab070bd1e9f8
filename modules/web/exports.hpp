// CSV exports /my/pulses and /my/private (spec §7.8).
#pragma once

#include "app.hpp"

namespace codestats::web {

void exportPulses(App& app, Ctx& c);
void exportPrivate(App& app, Ctx& c);

}  // namespace codestats::web
