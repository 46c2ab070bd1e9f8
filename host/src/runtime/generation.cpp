#include "runtime/generation.hpp"

#include <dlfcn.h>

namespace codestats::host {

const char* toString(GenState s) {
  switch (s) {
    case GenState::Loading: return "loading";
    case GenState::Active: return "active";
    case GenState::Draining: return "draining";
    case GenState::Zombie: return "zombie";
    case GenState::Unloaded: return "unloaded";
    case GenState::Pinned: return "pinned";
  }
  return "unknown";
}

bool topicMatches(const std::string& pattern, std::string_view topic) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0) {
    std::string_view prefix(pattern.data(), pattern.size() - 1);  // keeps the dot
    return topic.size() > prefix.size() && topic.substr(0, prefix.size()) == prefix;
  }
  return topic == pattern;
}

bool channelPatternMatches(std::string_view pattern, std::string_view topic) {
  if (!pattern.empty() && pattern.back() == '*') {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    return topic.size() >= prefix.size() && topic.substr(0, prefix.size()) == prefix;
  }
  return pattern == topic;
}

Generation::~Generation() {
  // Normal unloads destroy and dlclose explicitly (and verify). This only covers a
  // generation abandoned half-way through loading.
  if (inst && desc && desc->destroy) desc->destroy(inst);
  if (dl) dlclose(dl);
}

std::string Generation::logPrefix() const { return "[" + module + "@" + version + "#" + std::to_string(id) + "]"; }

}  // namespace codestats::host
