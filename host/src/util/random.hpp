// Cryptographically secure random tokens (getrandom(2)).
#pragma once

#include <cstddef>
#include <string>

namespace codestats::host {

std::string randomBytes(size_t n);
std::string randomHex(size_t bytes);
std::string randomBase64Url(size_t bytes);  // unpadded

}  // namespace codestats::host
