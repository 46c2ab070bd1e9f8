// The host side of the module ABI: the cs_host_api function table.
#pragma once

#include <codestats/module_abi.h>

namespace codestats::host {

// The table handed to every module's create(). Static storage; never changes.
const cs_host_api* hostApi();

}  // namespace codestats::host
