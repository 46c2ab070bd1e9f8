// The machines page: list with API tokens, create, rename, (de)activate, regenerate key,
// delete (spec §8), and the confirmation pages of the last two.
#pragma once

#include "app.hpp"

namespace codestats::web {

void machinesPage(App& app, Ctx& c);
void createMachine(App& app, Ctx& c);
void machinePage(App& app, Ctx& c);
void changeMachine(App& app, Ctx& c);  // PUT rename, DELETE
void activateMachine(App& app, Ctx& c);
void deactivateMachine(App& app, Ctx& c);
void regenerateMachineKey(App& app, Ctx& c);
// GET pages that ask before the destructive POSTs (so they are confirmed without JavaScript).
void confirmMachineDelete(App& app, Ctx& c);
void confirmKeyRegeneration(App& app, Ctx& c);

// Shared with the admin commands.
std::string newApiSalt();
std::string machineToken(App& app, const std::string& username, int64_t machineId, const std::string& salt);
// Removes the machine; ingest (ingest.v1 delete_machine_data) removes its pulses and xps
// and recomputes the user's aggregates from the remaining pulses (spec §7, "Delete": the
// original regenerated the user's cache), so no figure keeps the machine's XP.
void deleteMachineData(App& app, int64_t userId, int64_t machineId, const std::string& name);

}  // namespace codestats::web
