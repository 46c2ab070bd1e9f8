// The Poco::JSON (DOM) implementation of validatePulseBody that ingest used up to round 4,
// kept only as the reference of the differential test (pulse_body_differential_test.cpp).
// Not built into the module.
#pragma once

#include <string>
#include <string_view>

#include "pulse_body.hpp"

namespace codestats::ingest::reference {

Validation validatePulseBodyWithPocoDom(std::string_view body, const std::string* queryCodedAt, int64_t nowUs);

}  // namespace codestats::ingest::reference
