// The cache's moving parts on top of the host: warm-up and reloads in host worker tasks
// (short slices, never a module thread), event handling, the cache.v1 answers, the
// refresher, the admin commands and the state hand-over between generations.
#pragma once

#include <codestats/sdk.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "db_reader.hpp"
#include "directory.hpp"
#include "frontpage_state.hpp"
#include "state_codec.hpp"
#include "user_store.hpp"

namespace codestats::cache {

struct Settings {
  bool warmup = true;       // warm every user at load (else: on first read)
  int64_t sliceUsers = 50;  // users per warm-up task (smaller: less heap fragmentation)
  int64_t evictIdleMs = 0;  // 0: never evict
  int64_t refreshIntervalMs = 10'000;
};

class WarmCache {
 public:
  WarmCache(Host host, Settings settings);

  void start();
  void stop();
  // An event from the host's log; seq orders it (0 from an older host).
  // `replayed`: from a reload's hand-over journal (older than what may have been applied).
  void onEvent(uint64_t seq, std::string_view topic, std::string_view payload, bool replayed = false);
  std::string call(std::string_view method, std::string_view request);
  void refreshTick();

  std::string rebuildCommand(const std::vector<std::string>& args);
  // reload --all|USER_ID...: queues users for a load from the aggregate tables in warm-up
  // slices, for after ingest rebuilt those tables from the pulses (an import).
  std::string reloadCommand(const std::vector<std::string>& args);
  std::string statusJson();
  UserStore::Stats storeStats() const { return users_.stats(); }

  std::string exportState();
  void importState(uint32_t schema, std::string_view blob, bool final);

 private:
  int64_t now() const;
  void kick();
  void pumpSlice();
  bool pumpOnce();
  bool hasWork();  // one unit of background work; false when there is none
  void loadDirectory();
  void loadFrontpage();
  // Loads the users `ids` (sorted, close together) in one snapshot; returns how many were installed.
  size_t loadUsers(const std::vector<int64_t>& ids, Source source, bool warmup = false);
  std::optional<UserInfo> findUser(const std::string& username, bool caseInsensitive);
  void queueStale(int64_t userId);
  void handle(uint64_t seq, std::string_view topic, std::string_view payload, bool replayed);
  void logProgress(bool force);

  std::string profile(std::string_view request);
  bool awaitLoad(int64_t userId);
  std::string frontpage();
  std::string xpHistory();

  Host host_;
  Settings settings_;
  const uint64_t stampNonce_;  // random per generation: stamps of an earlier one never match
  Directory dir_;
  UserStore users_;
  FrontpageState front_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> pumpRunning_{false};
  std::atomic<bool> directoryLoaded_{false};

  std::mutex workMutex_;  // guards the queues and the warm-up cursor below
  std::deque<int64_t> staleQueue_;
  std::set<int64_t> staleSet_;
  std::deque<int64_t> rebuildQueue_;
  size_t rebuildTotal_ = 0, rebuildDone_ = 0;
  std::deque<int64_t> reloadQueue_;  // sorted ids
  size_t reloadTotal_ = 0, reloadDone_ = 0;
  std::vector<int64_t> warmIds_;  // directory ids to warm, in order
  size_t warmNext_ = 0;
  bool warmupDone_ = false;
  int64_t warmStartMs_ = 0, warmUsers_ = 0, warmPulses_ = 0, lastProgressMs_ = 0;
  double warmSeconds_ = 0;
  int64_t refreshTicks_ = 0;

  // Hand-over: after the snapshot export, every handled event is journaled for the final one.
  std::mutex eventMutex_;
  bool exported_ = false;
  bool stopped_ = false;
  Journal journal_;
};

}  // namespace codestats::cache
