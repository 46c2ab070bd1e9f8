// Secrets the host generates on first start (admin token, secret_key_base): stored in one
// file each, mode 0600, created atomically so a crash never leaves a half-written secret.
#pragma once

#include <functional>
#include <string>

namespace codestats::host {

// Returns the file's content (trimmed); creates it with make() first when it is missing.
// Throws std::runtime_error when the file exists with group/other permissions.
std::string readOrCreateSecret(const std::string& path, const std::function<std::string()>& make);

}  // namespace codestats::host
