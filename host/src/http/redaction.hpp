// Secrets never reach the logs: request targets are logged through redactTarget(), which
// replaces the values of credential-like query parameters (token, password, api_key, ...)
// and the token segment of /reset-password/<token> with "[redacted]". Header values are
// never logged at all.
#pragma once

#include <string>
#include <string_view>

namespace codestats::host {

inline constexpr std::string_view kRedacted = "[redacted]";

std::string redactTarget(std::string_view target);
bool isSecretParameterName(std::string_view name);

}  // namespace codestats::host
