// What the loader says about the bad_abi_major and newer_minor fixtures (built from the
// current header with major + 1 and minor + 1), derived from the header so an ABI bump
// needs no test edits.
#pragma once

#include <codestats/module_abi.h>

#include <string>

namespace codestats::test {

inline const std::string kHostAbi = std::to_string(CS_ABI_MAJOR) + "." + std::to_string(CS_ABI_MINOR);
inline const std::string kBadMajor = "ABI major " + std::to_string(CS_ABI_MAJOR + 1) + " != host " + kHostAbi;
inline const std::string kNewerMinor = "module needs ABI " + std::to_string(CS_ABI_MAJOR) + "." +
                                       std::to_string(CS_ABI_MINOR + 1) + ", host provides " + kHostAbi;

}  // namespace codestats::test
