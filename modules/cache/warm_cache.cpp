#include "warm_cache.hpp"

#include <codestats/json.hpp>

#include <malloc.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "calendar.hpp"
#include "common/ascii.hpp"
#include "events.hpp"
#include "render.hpp"

namespace codestats::cache {
namespace {

constexpr const char* kNotFound = "User not found or private.";
constexpr size_t kQueueSlice = 20;     // invalidated users reloaded per task
constexpr int kFrontRefreshTicks = 6;  // front page re-read every 6 refresher ticks
constexpr int64_t kProgressEveryMs = 2000;
constexpr int kAwaitLoadMs = 5000;  // a reader waits this long for another thread's load of a user

std::string num(double v, const char* fmt) {
  char b[32];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

}  // namespace

namespace {
uint64_t randomNonce() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}
}  // namespace

WarmCache::WarmCache(Host host, Settings settings) : host_(host), settings_(settings), stampNonce_(randomNonce()) {}

int64_t WarmCache::now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- lifecycle ----

void WarmCache::start() { kick(); }

void WarmCache::stop() {
  stopping_ = true;
  std::lock_guard lock(eventMutex_);
  stopped_ = true;
}

// ---- background work: one host task at a time, each a short slice ----

void WarmCache::kick() {
  if (stopping_ || host_.draining()) return;
  if (pumpRunning_.exchange(true)) return;
  try {
    host_.submit([this] { pumpSlice(); });
  } catch (const std::exception& e) {
    pumpRunning_ = false;
    host_.warn(std::string("cache: could not submit background work: ") + e.what());
  }
}

void WarmCache::pumpSlice() {
  bool more = false, failed = false;
  if (!stopping_ && !host_.draining()) {
    try {
      more = pumpOnce();
    } catch (const std::exception& e) {
      // The refresher kicks the pump again; no tight retry loop against a failing DB.
      host_.warn(std::string("cache: background work failed: ") + e.what());
      failed = true;
    }
  }
  if (more && !stopping_ && !host_.draining()) {
    try {
      host_.submit([this] { pumpSlice(); });
      return;
    } catch (const std::exception&) {
    }
  }
  pumpRunning_ = false;
  // Work queued while this slice was finishing found the pump still marked running.
  if (!failed && hasWork()) kick();
}

bool WarmCache::hasWork() {
  if (!directoryLoaded_ || front_.needsLoad()) return true;
  std::lock_guard lock(workMutex_);
  return !staleQueue_.empty() || !rebuildQueue_.empty() || !reloadQueue_.empty() || (settings_.warmup && !warmupDone_);
}

bool WarmCache::pumpOnce() {
  if (!directoryLoaded_) {
    loadDirectory();
    return true;
  }
  if (front_.needsLoad()) {
    loadFrontpage();
    return true;
  }
  std::vector<int64_t> batch;
  bool rebuilding = false;
  {
    std::lock_guard lock(workMutex_);
    while (!staleQueue_.empty() && batch.size() < kQueueSlice) {
      batch.push_back(staleQueue_.front());
      staleSet_.erase(staleQueue_.front());
      staleQueue_.pop_front();
    }
    if (batch.empty()) {
      while (!rebuildQueue_.empty() && batch.size() < kQueueSlice) {
        batch.push_back(rebuildQueue_.front());
        rebuildQueue_.pop_front();
      }
      rebuilding = !batch.empty();
    }
  }
  if (!batch.empty()) {
    for (int64_t id : batch) loadUsers({id}, Source::Pulses);
    if (rebuilding) {
      size_t done, total;
      {
        std::lock_guard lock(workMutex_);
        done = rebuildDone_ += batch.size();
        total = rebuildTotal_;
      }
      if (done == total || done % 1000 < batch.size())
        host_.info("cache: rebuild from pulses: " + std::to_string(done) + "/" + std::to_string(total) + " users");
    }
    return true;
  }
  // A reload slice: ids close together, so the slice's one statement reads few others.
  std::vector<int64_t> reload;
  {
    std::lock_guard lock(workMutex_);
    while (!reloadQueue_.empty() && reload.size() < static_cast<size_t>(settings_.sliceUsers) &&
           (reload.empty() || reloadQueue_.front() - reload.front() < 4 * settings_.sliceUsers)) {
      reload.push_back(reloadQueue_.front());
      reloadQueue_.pop_front();
    }
  }
  if (!reload.empty()) {
    loadUsers(reload, Source::Aggregates);
    size_t done, total;
    {
      std::lock_guard lock(workMutex_);
      done = reloadDone_ += reload.size();
      total = reloadTotal_;
    }
    if (done == total || done % 1000 < reload.size())
      host_.info("cache: reload from the aggregates: " + std::to_string(done) + "/" + std::to_string(total) + " users");
    return true;
  }
  if (!settings_.warmup) return false;
  std::vector<int64_t> slice;
  {
    std::lock_guard lock(workMutex_);
    if (warmupDone_) return false;
    if (warmStartMs_ == 0) warmStartMs_ = now();
    size_t end = std::min(warmIds_.size(), warmNext_ + static_cast<size_t>(settings_.sliceUsers));
    for (size_t i = warmNext_; i < end; ++i)
      if (!users_.isWarm(warmIds_[i])) slice.push_back(warmIds_[i]);
    warmNext_ = end;
  }
  size_t loaded = loadUsers(slice, Source::Aggregates, true);
  bool done;
  {
    std::lock_guard lock(workMutex_);
    warmUsers_ += static_cast<int64_t>(loaded);
    done = warmNext_ >= warmIds_.size();
    if (done) {
      warmupDone_ = true;
      warmSeconds_ = static_cast<double>(now() - warmStartMs_) / 1000.0;
    }
  }
  logProgress(done);
  // The slices' query results were freed in many small pieces; give the pages back so RSS
  // shows what the cache keeps.
  if (done) malloc_trim(0);
  return !done;
}

void WarmCache::logProgress(bool force) {
  int64_t t = now();
  std::string line;
  {
    std::lock_guard lock(workMutex_);
    if (!force && t - lastProgressMs_ < kProgressEveryMs) return;
    lastProgressMs_ = t;
    double secs = static_cast<double>(std::max<int64_t>(1, t - warmStartMs_)) / 1000.0;
    double rate = static_cast<double>(warmNext_) / secs;
    if (warmupDone_) {
      line = "cache: warm-up done: " + std::to_string(warmUsers_) + " users, " + std::to_string(warmPulses_) +
             " pulses in " + num(warmSeconds_, "%.1f") + " s";
    } else {
      double eta = rate > 0 ? static_cast<double>(warmIds_.size() - warmNext_) / rate : 0;
      line = "cache: warm-up: " + std::to_string(warmNext_) + "/" + std::to_string(warmIds_.size()) + " users, " +
             std::to_string(warmPulses_) + " pulses, " + num(rate, "%.0f") + " users/s, ETA " + num(eta, "%.0f") + " s";
    }
  }
  host_.info(line);
}

void WarmCache::loadDirectory() {
  std::vector<UserInfo> all = readDirectory(host_);
  readLanguages(host_, dir_);
  std::vector<int64_t> ids;
  ids.reserve(all.size());
  for (auto& u : all) {
    ids.push_back(u.id);
    dir_.putUser(std::move(u));
  }
  std::sort(ids.begin(), ids.end());
  {
    std::lock_guard lock(workMutex_);
    warmIds_ = std::move(ids);
    warmNext_ = 0;
  }
  directoryLoaded_ = true;
}

void WarmCache::loadFrontpage() {
  uint64_t token = front_.beginLoad();
  try {
    FrontpageSnapshot snap = readFrontpage(host_, now());
    front_.finishLoad(token, std::move(snap), now());
  } catch (...) {
    front_.abortLoad(token);
    throw;
  }
}

size_t WarmCache::loadUsers(const std::vector<int64_t>& ids, Source source, bool warmup) {
  if (ids.empty()) return 0;
  std::vector<uint64_t> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) tokens.push_back(users_.beginLoad(id));  // buffering starts before the read
  UserBatch b;
  try {
    b = readUsers(host_, ids.front(), ids.back(), now(), source, warmup);
    // A language created after the directory was read (its pulse.created event may not have
    // arrived yet) must be named before these users are served, not shown as "language #N".
    bool unknownLanguage = false;
    for (const auto& [id, a] : b.users) {
      for (const auto& [lang, xp] : a.languages) unknownLanguage = unknownLanguage || !dir_.languageName(lang);
      for (const RecentXp& r : a.recent) unknownLanguage = unknownLanguage || !dir_.languageName(r.languageId);
      if (unknownLanguage) break;
    }
    if (unknownLanguage) readLanguages(host_, dir_);
  } catch (...) {
    for (size_t i = 0; i < ids.size(); ++i) users_.abortLoad(ids[i], tokens[i]);
    throw;
  }
  int64_t t = now();
  size_t installed = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = b.users.find(ids[i]);
    if (it == b.users.end()) {  // deleted meanwhile
      users_.abortLoad(ids[i], tokens[i]);
      users_.remove(ids[i]);
      dir_.removeUser(ids[i]);
      continue;
    }
    dir_.putUser(b.info[ids[i]]);
    // A rebuild is not a use: the refresher must not keep idle users from being evicted.
    if (source == Source::Pulses) it->second.rebuiltAt = t;
    else it->second.lastUsed = t;
    it->second.appliedSeq = it->second.baseSeq = b.logPosition;
    if (users_.finishLoad(ids[i], tokens[i], std::move(it->second), t)) ++installed;
  }
  if (warmup) {
    std::lock_guard lock(workMutex_);
    warmPulses_ += b.pulses;
  }
  return installed;
}

// ---- events ----

void WarmCache::onEvent(uint64_t seq, std::string_view topic, std::string_view payload, bool replayed) {
  std::lock_guard lock(eventMutex_);
  if (exported_) journal_.push_back(JournalEntry{seq, std::string(topic), std::string(payload)});
  handle(seq, topic, payload, replayed);
}

void WarmCache::queueStale(int64_t userId) {
  if (!users_.markStale(userId)) return;  // not cached: the next load reads the DB anyway
  std::lock_guard lock(workMutex_);
  if (staleSet_.insert(userId).second) staleQueue_.push_back(userId);
}

void WarmCache::handle(uint64_t seq, std::string_view topic, std::string_view payload, bool replayed) {
  int64_t t = now();
  if (topic == "events.lost") {
    // The host trimmed events this cache never saw (it lagged past events.max_age_s):
    // everything warm is rebuilt from the tables.
    host_.warn("cache: events were lost (" + std::string(payload) + "); rebuilding every warm user");
    std::vector<int64_t> ids;
    users_.forEachWarm([&](const UserAggregates& a) { ids.push_back(a.userId); });
    for (int64_t id : ids) queueStale(id);
    front_.markDirty();
    kick();
    return;
  }
  if (topic == "pulse.created") {
    auto e = parsePulseCreated(payload);
    if (!e) {
      host_.warn("cache: pulse.created without the expected fields");
      return;
    }
    Pulse p;
    p.seq = seq;
    p.replayed = replayed;
    p.id = e->pulseId;
    p.userId = e->userId;
    p.machineId = e->machineId;
    p.machineName = e->machineName;
    p.sentAt = e->sentAt;
    p.localDay = dayOf(e->sentAtLocal);
    p.localHour = hourOf(e->sentAtLocal);
    for (const auto& x : e->xps) {
      auto id = dir_.languageId(x.language);
      if (!id) id = readLanguageId(host_, dir_, x.language);
      if (!id) {
        // Cannot happen with ingest (the language row is committed first); reload the user.
        host_.warn("cache: pulse.created names an unknown language '" + x.language + "'");
        queueStale(p.userId);
        kick();
        continue;
      }
      p.xps.push_back(PulseXp{*id, x.amount});
    }
    front_.applyPulse(p, t);
    users_.applyPulse(p, t);
    return;
  }
  if (topic == "user.changed") {
    auto e = parseUserEvent(payload);
    if (!e) return host_.warn("cache: user.changed without user_id");
    // Username, privacy and the avatar flag (a preferences change) are re-read.
    if (auto u = readUserById(host_, e->userId)) {
      dir_.putUser(std::move(*u));
    } else {
      dir_.removeUser(e->userId);
      users_.remove(e->userId);
    }
    return;
  }
  if (topic == "user.deleted") {
    auto e = parseUserEvent(payload);
    if (!e) return host_.warn("cache: user.deleted without user_id");
    dir_.removeUser(e->userId);
    users_.remove(e->userId);
    front_.markDirty();  // everyone's total lost that user's XP
    kick();
    return;
  }
  if (topic == "xp.deleted") {  // ingest removed a user's or a machine's XP (after user.deleted / machine.changed)
    auto e = parseUserEvent(payload);
    if (!e) return host_.warn("cache: xp.deleted without user_id");
    queueStale(e->userId);
    front_.markDirty();
    kick();
    return;
  }
  if (topic == "machine.changed") {
    auto e = parseMachineEvent(payload);
    if (!e) return host_.warn("cache: machine.changed without machine_id and user_id");
    queueStale(e->userId);  // name, activity or (deleted) its pulses changed
    front_.markDirty();
    kick();
    return;
  }
  if (topic == "language.aliased") {
    auto language = parseAliasedLanguage(payload);
    if (!language) return host_.warn("cache: language.aliased without language");
    readLanguages(host_, dir_);
    Rows r = host_.query(
        "SELECT DISTINCT p.user_id FROM xps x JOIN pulses p ON p.id = x.pulse_id JOIN languages l ON l.id = "
        "x.original_language_id WHERE l.name_lower = $1",
        {common::lowerAscii(*language)});
    for (size_t i = 0; i < r.size(); ++i) queueStale(r[i].i64(0));
    front_.markDirty();
    kick();
  }
}

// ---- cache.v1 ----

std::string WarmCache::call(std::string_view method, std::string_view request) {
  if (method == "profile") return profile(request);
  if (method == "frontpage") return frontpage();
  if (method == "xp_history") return xpHistory();
  throw Error(CS_E_INVALID, "cache.v1 has no method '" + std::string(method) + "' (profile, frontpage, xp_history)");
}

std::optional<UserInfo> WarmCache::findUser(const std::string& username, bool caseInsensitive) {
  if (auto u = dir_.findUser(username, caseInsensitive)) return u;
  auto u = readUserByName(host_, username, caseInsensitive);  // created since the directory was read
  if (u) dir_.putUser(*u);
  return u;
}

std::string WarmCache::profile(std::string_view request) {
  ProfileRequest req;
  try {
    req = parseProfileRequest(request);
  } catch (const std::invalid_argument& e) {
    throw Error(CS_E_INVALID, e.what());
  }
  uint64_t dirVersion = dir_.version();  // before the user info and names it stamps
  auto user = findUser(req.username, req.caseInsensitive);
  if (!user || (user->isPrivate && (!req.viewer || *req.viewer != user->username)))
    throw Error(CS_E_NOT_FOUND, kNotFound);
  std::string out;
  int64_t t = now();
  auto render = [&](const UserAggregates& a) {
    std::string stamp = profileStamp(stampNonce_, dirVersion, a.version, profileValidUntil(a, t));
    if (req.ifStamp && *req.ifStamp == stamp) out = "{\"unchanged\":true,\"stamp\":" + jsonString(stamp) + "}";
    else out = renderProfile(*user, a, dir_, t, stamp);
  };
  if (users_.read(user->id, t, render)) {
    host_.counter("cache_profile_hits");
    return out;
  }
  host_.counter("cache_profile_misses");
  // A load of the same user already in progress (the pump, another reader) is waited for,
  // not superseded: readers that each restarted the load made each other's loads fail, and
  // after a few rounds answered 404 for a user that exists (cache_integration_tests saw it).
  // The user is gone only when a load found no row for it.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!awaitLoad(user->id)) loadUsers({user->id}, users_.isStale(user->id) ? Source::Pulses : Source::Aggregates);
    if (users_.read(user->id, now(), render)) return out;
    if (!dir_.user(user->id)) break;
  }
  throw Error(CS_E_NOT_FOUND, kNotFound);
}

// Waits (bounded) while another thread loads the user; true if there was such a load and
// it ended. A rare path: a cold or stale user read during its load.
bool WarmCache::awaitLoad(int64_t userId) {
  if (!users_.isLoading(userId)) return false;
  return users_.awaitLoad(userId, std::chrono::milliseconds(kAwaitLoadMs));
}

std::string WarmCache::frontpage() {
  if (!front_.loaded()) loadFrontpage();
  int64_t t = now();
  return renderFrontpage(front_.total(), front_.languages24h(t), dir_);
}

std::string WarmCache::xpHistory() {
  if (!front_.loaded()) loadFrontpage();
  return renderXpHistory(front_.xpHistory(now()));
}

// ---- refresher, commands ----

void WarmCache::refreshTick() {
  if (stopping_) return;
  static_assert(kFrontRefreshTicks > 0);
  if (directoryLoaded_) {
    // One user per tick, least recently rebuilt first; never-rebuilt users come first.
    if (auto id = users_.leastRecentlyRebuilt()) loadUsers({*id}, Source::Pulses);
  }
  int64_t t = now();
  {
    std::lock_guard lock(workMutex_);
    if (++refreshTicks_ % kFrontRefreshTicks == 0) front_.markDirty();
  }
  if (settings_.evictIdleMs > 0)
    for (int64_t id : users_.idleSince(t - settings_.evictIdleMs)) users_.evict(id);
  kick();
}

std::string WarmCache::rebuildCommand(const std::vector<std::string>& args) {
  if (args.size() != 1) throw Error(CS_E_INVALID, "usage: cache.rebuild USERNAME|--all");
  if (args[0] == "--all") {
    size_t n;
    {
      std::lock_guard lock(workMutex_);
      std::vector<int64_t> ids = dir_.userIds();
      rebuildQueue_.assign(ids.begin(), ids.end());
      rebuildTotal_ = n = ids.size();
      rebuildDone_ = 0;
    }
    host_.info("cache: rebuild from pulses queued for " + std::to_string(n) + " users");
    kick();
    return "queued a rebuild of " + std::to_string(n) +
           " users from the pulses table; progress: codestatsctl run cache.status, and the log\n";
  }
  auto user = findUser(args[0], false);
  if (!user) throw Error(CS_E_NOT_FOUND, "no user '" + args[0] + "'");
  int64_t t0 = now();
  loadUsers({user->id}, Source::Pulses);
  int64_t total = 0;
  users_.read(user->id, now(), [&](const UserAggregates& a) { total = a.total; });
  return "{\"user\":" + jsonString(user->username) + ",\"total_xp\":" + std::to_string(total) +
         ",\"ms\":" + std::to_string(now() - t0) + "}\n";
}

std::string WarmCache::reloadCommand(const std::vector<std::string>& args) {
  if (args.empty()) throw Error(CS_E_INVALID, "usage: cache.reload --all|USER_ID...");
  std::vector<int64_t> ids;
  if (args.size() == 1 && args[0] == "--all") {
    ids = dir_.userIds();
  } else {
    for (const auto& a : args) {
      int64_t id = 0;
      auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), id);
      if (ec != std::errc() || end != a.data() + a.size()) throw Error(CS_E_INVALID, "not a user id: '" + a + "'");
      ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  {
    std::lock_guard lock(workMutex_);
    reloadQueue_.assign(ids.begin(), ids.end());
    reloadTotal_ = ids.size();
    reloadDone_ = 0;
  }
  kick();
  return "queued a reload of " + std::to_string(ids.size()) +
         " users from the aggregate tables; progress: codestatsctl run cache.status\n";
}

std::string WarmCache::statusJson() {
  auto st = users_.stats();
  std::lock_guard lock(workMutex_);
  bool busy = pumpRunning_ || !staleQueue_.empty() || !rebuildQueue_.empty() || !reloadQueue_.empty() ||
              front_.needsLoad() || !directoryLoaded_ || (settings_.warmup && !warmupDone_);
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  std::string out =
      "{\"busy\":" + b(busy) + ",\"users_known\":" + std::to_string(dir_.userCount()) +
      ",\"users_warm\":" + std::to_string(st.warm) + ",\"users_loading\":" + std::to_string(st.loading) +
      ",\"users_stale\":" + std::to_string(st.stale) + ",\"stale_queue\":" + std::to_string(staleQueue_.size()) +
      ",\"rebuild\":{\"queued\":" + std::to_string(rebuildQueue_.size()) + ",\"done\":" + std::to_string(rebuildDone_) +
      ",\"total\":" + std::to_string(rebuildTotal_) +
      "},\"reload\":{\"queued\":" + std::to_string(reloadQueue_.size()) + ",\"done\":" + std::to_string(reloadDone_) +
      ",\"total\":" + std::to_string(reloadTotal_) + "},\"warmup\":{\"done\":" + b(warmupDone_) +
      ",\"users\":" + std::to_string(warmUsers_) + ",\"pulses\":" + std::to_string(warmPulses_) +
      ",\"seconds\":" + num(warmupDone_ ? warmSeconds_ : 0.0, "%.3f") + "},\"frontpage_loaded\":" + b(front_.loaded()) +
      ",\"bytes\":" + std::to_string(st.bytes) +
      ",\"bytes_per_user\":" + std::to_string(st.warm ? st.bytes / st.warm : 0) +
      ",\"process_heap_in_use\":" + std::to_string(mallinfo2().uordblks) + "}\n";
  return out;
}

// ---- hand-over between generations ----

std::string WarmCache::exportState() {
  std::lock_guard lock(eventMutex_);
  if (stopped_ && exported_) return encodeJournal(journal_);  // final export after a snapshot
  FullState s;
  s.users = dir_.users();
  s.languages = dir_.languages();
  users_.forEachWarm([&](const UserAggregates& a) { s.warm.push_back(a); });
  s.frontpage = front_.exportState();
  {
    std::lock_guard w(workMutex_);
    s.warmupDone = warmupDone_;
  }
  if (!stopped_) {
    exported_ = true;  // from now on, handled events go to the journal
    journal_.clear();  // an earlier hand-over that was abandoned
  }
  return encodeFull(s);
}

void WarmCache::importState(uint32_t schema, std::string_view blob, bool final) {
  if (schema != kStateSchema || blob.empty()) return;  // an older format: warm up from the DB
  DecodedState d = decodeState(blob);
  if (d.isJournal) {
    for (const auto& e : d.journal) onEvent(e.seq, e.topic, e.payload, true);
    host_.info("cache: replayed " + std::to_string(d.journal.size()) + " events handled during the drain");
    return;
  }
  FullState& s = d.full;
  for (auto& [id, name] : s.languages) dir_.putLanguage(id, std::move(name));
  std::vector<int64_t> ids;
  for (auto& u : s.users) {
    ids.push_back(u.id);
    dir_.putUser(std::move(u));
  }
  std::sort(ids.begin(), ids.end());
  size_t warm = s.warm.size();
  for (auto& a : s.warm) users_.put(std::move(a));
  front_.importState(std::move(s.frontpage));
  {
    std::lock_guard lock(workMutex_);
    warmIds_ = std::move(ids);
    warmNext_ = 0;
    warmupDone_ = s.warmupDone;
  }
  directoryLoaded_ = true;
  host_.info("cache: imported " + std::to_string(warm) + " warm users" + (final ? "" : " (snapshot)"));
}

}  // namespace codestats::cache
