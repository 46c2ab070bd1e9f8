// Operator commands (codestatsctl run web.<name> ...).
#pragma once

#include <string>
#include <vector>

#include "app.hpp"

namespace codestats::web {

using Args = std::vector<std::string>;

std::string cmdCreateUser(App& app, const Args& a);
std::string cmdCreateMachine(App& app, const Args& a);
std::string cmdMachineToken(App& app, const Args& a);
std::string cmdSetMachineActive(App& app, const Args& a);
std::string cmdDeleteMachine(App& app, const Args& a);
std::string cmdSetSignups(App& app, const Args& a);
std::string cmdResetPassword(App& app, const Args& a);
std::string cmdDeleteUser(App& app, const Args& a);

}  // namespace codestats::web
