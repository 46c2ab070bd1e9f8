// The ingest module's state and its thin HTTP adapter for POST /api/my/pulses, plus the
// admin commands. Registration lives in module.cpp.
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "group_commit.hpp"
#include "store.hpp"

namespace codestats::ingest {

class Ingest {
 public:
  explicit Ingest(Host host);

  // POST /api/my/pulses
  void handlePulse(const Request& req, Response& resp);
  // machine.changed, user.changed, user.deleted, language.aliased
  void invalidate(std::string_view topic);

  // admin commands
  std::string importCsv(const std::vector<std::string>& args);
  std::string aliasLanguage(const std::vector<std::string>& args);
  std::string unaliasLanguage(const std::vector<std::string>& args);
  std::string rebuild(const std::vector<std::string>& args);
  std::string stats(const std::vector<std::string>& args);
  std::string pulses(const std::vector<std::string>& args);

 private:
  std::shared_ptr<const MachineAuth> authenticate(const std::string& token);
  LanguageRef language(const std::string& normalisedName);
  void commitBatch(Batch& batch);

  Host host_;
  std::string secretKeyBase_;
  GroupCommitter committer_;

  std::mutex authMutex_;
  uint64_t authEpoch_ = 0;  // bumped by every invalidation
  std::unordered_map<std::string, std::shared_ptr<const MachineAuth>> authCache_;

  std::mutex languageMutex_;
  std::unordered_map<std::string, LanguageRef> languageCache_;  // by lower-cased name
};

// The options from modules.ingest.* (validated: unknown keys are rejected).
GroupCommitter::Options ingestOptions(Host& host);

}  // namespace codestats::ingest
