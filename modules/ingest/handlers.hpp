// The ingest module's state and its thin HTTP adapter for POST /api/my/pulses, plus the
// admin commands. Registration lives in module.cpp.
#pragma once

#include <codestats/sdk.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store.hpp"

namespace codestats::ingest {

class Ingest {
 public:
  explicit Ingest(Host host);

  // POST /api/my/pulses, a batch route: the requests that queued meanwhile, answered together
  void handlePulses(const std::vector<Request>& reqs, std::vector<Response>& resps);
  // machine.changed, user.changed, user.deleted, language.aliased
  void invalidate(std::string_view topic);

  // The ingest.v1 service and the events that delete data (data_service.cpp).
  std::string serve(std::string_view method, std::string_view request);
  void onEvent(std::string_view topic, std::string_view payload);
  std::string purgeOrphans(const std::vector<std::string>& args);

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
  // Checks one request; writes its error response and returns nothing when it fails.
  std::optional<PendingPulse> preparePulse(const Request& req, Response& resp,
                                           std::shared_ptr<const MachineAuth>& auth);
  enum class Outcome { Stored, Revoked, Failed };
  // Writes the pulses in one transaction (one by one if it fails), each only if its
  // credential `auths[i]` still holds in that transaction, with its pulse.created event
  // (eventFor(i), asked for inside the transaction); what became of each.
  std::vector<Outcome> commitPulses(const std::vector<PendingPulse*>& pulses,
                                    const std::vector<const MachineAuth*>& auths,
                                    const std::function<std::string(size_t)>& eventFor);
  // Drops a token whose machine row no longer matches it.
  void forgetToken(std::string_view token);

  Host host_;
  std::string secretKeyBase_;

  // calls of the pulse route and the most requests one carried (ingest.stats)
  std::atomic<uint64_t> batches_{0};
  std::atomic<size_t> largestBatch_{0};

  std::mutex authMutex_;
  uint64_t authEpoch_ = 0;  // bumped by every invalidation
  std::unordered_map<std::string, std::shared_ptr<const MachineAuth>> authCache_;

  std::mutex languageMutex_;
  std::unordered_map<std::string, LanguageRef> languageCache_;  // by lower-cased name
};

// The pulse route's batching from modules.ingest.* (validated: unknown keys are rejected).
BatchOptions ingestBatchOptions(Host& host);

}  // namespace codestats::ingest
