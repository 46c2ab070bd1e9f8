// The one rule for module names, checked wherever a name comes in (the configuration, the
// admin API, codestatsctl) before anything touches the disk: a name becomes part of paths
// (var/run/<name>/, var/state/<name>.json, <module_dir>/<name>.so) and of metric names
// (codestats_<name>_...). `codestatsctl load ../../x` used to create a directory outside
// var_dir before the load was refused.
//
// Header-only: codestatsctl checks names with it too, and links none of the host.
#pragma once

#include <string>
#include <string_view>

namespace codestats::host {

inline constexpr std::string_view kModuleNamePattern = "^[a-z][a-z0-9_]{0,63}$";

inline bool isValidModuleName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// "invalid module name '../x': module names match ^[a-z][a-z0-9_]{0,63}$ (...)"
inline std::string invalidModuleNameMessage(std::string_view name) {
  std::string shown(name.substr(0, 80));
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';  // it is echoed into logs
  return "invalid module name '" + shown + (name.size() > 80 ? "...'" : "'") + ": module names match " +
         std::string(kModuleNamePattern) +
         " (a lower-case letter, then up to 63 lower-case letters, digits or underscores)";
}

}  // namespace codestats::host
