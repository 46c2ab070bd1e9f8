#include "handlers.hpp"

#include <time.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <codestats/accept.hpp>
#include <codestats/text.hpp>

#include "common/ascii.hpp"
#include "common/timestamp.hpp"
#include "aggregate_rebuild.hpp"
#include "common/token.hpp"
#include "pulse_body.hpp"

namespace codestats::ingest {
namespace {

constexpr std::string_view kAuthError = R"({"error": "You must be authenticated"})";
constexpr size_t kAuthCacheMax = 100000;
constexpr size_t kLanguageCacheMax = 10000;

int64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t microsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t).count();
}

// CPU time of the calling thread: with the transaction's wall time it shows whether the
// single writer was running or waiting (preempted, or in fdatasync).
int64_t threadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::optional<std::string> queryParam(std::string_view query, std::string_view name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string_view pair = query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    size_t eq = pair.find('=');
    if (urlDecode(pair.substr(0, eq)) == name)
      return eq == std::string_view::npos ? std::string() : urlDecode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return std::nullopt;
}

std::string eventJson(const PendingPulse& p, const MachineAuth& a, std::string_view clientIp) {
  std::string out =
      "{\"pulse_id\":" + std::to_string(p.pulseId) + ",\"user_id\":" + std::to_string(a.userId) +
      ",\"username\":" + jsonString(a.username) + ",\"private\":" + (a.privateProfile ? "true" : "false") +
      ",\"machine_id\":" + std::to_string(a.machineId) + ",\"machine_name\":" + jsonString(a.machineName) +
      ",\"sent_at\":" + jsonString(common::formatUtc(p.time.sentAtMs)) +
      ",\"sent_at_local\":" + jsonString(common::formatLocal(p.time.sentAtLocalMs, p.time.tzOffset)) +
      ",\"tz_offset\":" + std::to_string(p.time.tzOffset) + ",\"xps\":[";
  for (size_t i = 0; i < p.xps.size(); ++i) {
    if (i) out += ",";
    out += "{\"language\":" + jsonString(p.xps[i].language.effectiveName) +
           ",\"original_language\":" + jsonString(p.xps[i].language.name) +
           ",\"amount\":" + std::to_string(p.xps[i].amount) + "}";
  }
  return out + "],\"client_ip\":" + jsonString(clientIp) + "}";
}

// One CSV record (spec §7.8 dialect: ';', double quotes, doubled inner quotes).
bool readCsvRecord(std::istream& in, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false, any = false;
  int c;
  while ((c = in.get()) != EOF) {
    any = true;
    char ch = static_cast<char>(c);
    if (quoted) {
      if (ch == '"') {
        if (in.peek() == '"') {
          field += '"';
          in.get();
        } else {
          quoted = false;
        }
      } else {
        field += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ';') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (ch == '\n') {
      fields.push_back(std::move(field));
      return true;
    } else if (ch != '\r') {
      field += ch;
    }
  }
  if (!any) return false;
  fields.push_back(std::move(field));
  return true;
}

int64_t parseInt(const std::string& s, const std::string& what) {
  try {
    size_t used = 0;
    int64_t v = std::stoll(s, &used);
    if (used != s.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    throw Error(CS_E_INVALID, "invalid " + what + " '" + s + "'");
  }
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The pulses whose credential still holds.
std::vector<PendingPulse*> heldOnly(const std::vector<PendingPulse*>& pulses, const std::vector<bool>& held) {
  std::vector<PendingPulse*> out;
  out.reserve(pulses.size());
  for (size_t i = 0; i < pulses.size(); ++i)
    if (held[i]) out.push_back(pulses[i]);
  return out;
}

}  // namespace

BatchOptions ingestBatchOptions(Host& host) {
  host.rejectUnknownConfig({"batch_max", "batch_wait_us", "max_inflight", "rebuild_pulses_per_pass"});
  rebuildPulsesPerPass(host);  // checked now, read again by each rebuild
  int64_t batchMax = host.configInt("modules.ingest.batch_max", 256);
  int64_t waitUs = host.configInt("modules.ingest.batch_wait_us", 500);
  // 2 calls at once: one writes while the other syncs its WAL frames (SQLite: the host
  // syncs after releasing the write lock) or waits for its commit (PostgreSQL).
  int64_t inflight = host.configInt("modules.ingest.max_inflight", 2);
  if (batchMax < 1 || batchMax > 10000) throw Error(CS_E_INVALID, "modules.ingest.batch_max must be 1..10000");
  if (waitUs < 0 || waitUs > 1000000) throw Error(CS_E_INVALID, "modules.ingest.batch_wait_us must be 0..1000000");
  if (inflight < 1 || inflight > 64) throw Error(CS_E_INVALID, "modules.ingest.max_inflight must be 1..64");
  BatchOptions o;
  o.maxBatch = static_cast<uint32_t>(batchMax);
  o.maxWait = std::chrono::microseconds(waitUs);
  o.maxInflight = static_cast<uint32_t>(inflight);
  return o;
}

Ingest::Ingest(Host host) : host_(host), secretKeyBase_(host_.config("host.secret_key_base", "")) {}

std::shared_ptr<const MachineAuth> Ingest::authenticate(const std::string& token) {
  uint64_t epoch;
  {
    std::lock_guard lock(authMutex_);
    auto it = authCache_.find(token);
    if (it != authCache_.end()) return it->second;
    epoch = authEpoch_;
  }
  auto claims = common::parseToken(token);
  if (!claims) return nullptr;
  auto machine = findActiveMachine(host_, claims->username, claims->machineId);
  if (!machine || !common::verifyTokenSignature(token, secretKeyBase_, machine->apiSalt)) return nullptr;
  auto auth = std::make_shared<const MachineAuth>(std::move(*machine));
  std::lock_guard lock(authMutex_);
  if (epoch == authEpoch_) {  // no invalidation raced with the lookup
    if (authCache_.size() >= kAuthCacheMax) authCache_.clear();
    authCache_.emplace(token, auth);
  }
  return auth;
}

void Ingest::forgetToken(std::string_view token) {
  std::lock_guard lock(authMutex_);
  ++authEpoch_;  // a lookup of the same token that read the old row must not cache it again
  authCache_.erase(std::string(token));
}

void Ingest::invalidate(std::string_view topic) {
  if (topic == "language.aliased") {
    std::lock_guard lock(languageMutex_);
    languageCache_.clear();
    return;
  }
  std::lock_guard lock(authMutex_);
  ++authEpoch_;
  authCache_.clear();
}

LanguageRef Ingest::language(const std::string& name) {
  std::string key = common::lowerAscii(name);
  {
    std::lock_guard lock(languageMutex_);
    auto it = languageCache_.find(key);
    if (it != languageCache_.end()) return it->second;
  }
  LanguageRef ref = getOrCreateLanguage(host_, name);
  std::lock_guard lock(languageMutex_);
  if (languageCache_.size() >= kLanguageCacheMax) languageCache_.clear();
  languageCache_.emplace(key, ref);
  return ref;
}

std::vector<Ingest::Outcome> Ingest::commitPulses(const std::vector<PendingPulse*>& pulses,
                                                  const std::vector<const MachineAuth*>& auths,
                                                  const std::function<std::string(size_t)>& eventFor) {
  const bool postgres = host_.dbBackend() == CS_DB_POSTGRES;
  const int64_t nowMs = nowMicros() / 1000;
  std::vector<Outcome> out(pulses.size(), Outcome::Failed);
  // The tokens were verified against machine rows read before this transaction, maybe long
  // ago (the cache), maybe by another host's web since changed: each credential is checked
  // again inside the transaction that stores its pulse (docs/events.md, "Revoked machine
  // keys"), and a pulse whose credential no longer holds is left out of the writes.
  auto settle = [&](size_t first, const std::vector<bool>& held) {
    int64_t revoked = 0;
    for (size_t i = 0; i < held.size(); ++i) {
      out[first + i] = held[i] ? Outcome::Stored : Outcome::Revoked;
      revoked += held[i] ? 0 : 1;
    }
    if (revoked) host_.counter("pulses_revoked", revoked);
    return static_cast<int64_t>(held.size()) - revoked;
  };
  try {
    // Phase timings of the serial part (bench/README.md, ingest "Round 3"): lease + BEGIN
    // (+ waiting for the write lock), statements, COMMIT (+ the WAL sync), and the CPU time
    // this thread got meanwhile.
    const auto start = std::chrono::steady_clock::now();
    const int64_t cpuStart = threadCpuMicros();
    std::chrono::steady_clock::time_point begun, executed;
    std::vector<bool> held;
    host_.transaction([&](Tx& tx) {
      begun = std::chrono::steady_clock::now();
      BatchStart batch = startBatch(tx, auths, postgres);
      held = batch.held;
      writePulses(tx, heldOnly(pulses, held), nowMs, postgres, &batch.pulseIds);
      // In the same transaction: the event exists if and only if the pulse does.
      for (size_t i = 0; i < pulses.size(); ++i)
        if (held[i]) tx.publish("pulse.created", eventFor(i));
      executed = std::chrono::steady_clock::now();
    });
    const int64_t stored = settle(0, held);
    auto us = [](auto d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); };
    host_.counter("batch_begin_us", us(begun - start));
    host_.counter("batch_exec_us", us(executed - begun));
    host_.counter("batch_commit_us", microsSince(executed));
    host_.counter("batch_tx_cpu_us", threadCpuMicros() - cpuStart);
    host_.counter("batches");
    host_.counter("pulses", stored);
    host_.observe("batch_size", static_cast<double>(pulses.size()));  // codestats_ingest_batch_size
    return out;
  } catch (const std::exception& e) {
    if (pulses.size() == 1) {
      host_.warn(std::string("pulse write failed: ") + e.what());
      return out;
    }
    host_.warn(std::string("batch of ") + std::to_string(pulses.size()) +
               " pulses failed, retrying one by one: " + e.what());
  }
  // One bad pulse must not fail the others: each alone in its own transaction.
  for (size_t i = 0; i < pulses.size(); ++i) {
    std::vector<PendingPulse*> one{pulses[i]};
    std::vector<const MachineAuth*> itsAuth{auths[i]};
    try {
      std::vector<bool> held;
      host_.transaction([&](Tx& tx) {
        BatchStart batch = startBatch(tx, itsAuth, postgres);
        held = batch.held;
        writePulses(tx, heldOnly(one, held), nowMs, postgres, &batch.pulseIds);
        if (held[0]) tx.publish("pulse.created", eventFor(i));
      });
      if (settle(i, held)) host_.counter("pulses");
    } catch (const std::exception& e) {
      host_.warn(std::string("pulse write failed: ") + e.what());
    }
  }
  return out;
}

std::optional<PendingPulse> Ingest::preparePulse(const Request& req, Response& resp,
                                                 std::shared_ptr<const MachineAuth>& auth) {
  // The api pipeline's negotiation runs before authentication (spec §3.2): an Accept without
  // JSON and without */* is a 406. No header, */* and every client in clients.md pass.
  if (!codestats::acceptAllows(req.header("accept"), "application/json")) {
    resp.json(406, R"({"error":"Not acceptable: this API answers application/json."})");
    return std::nullopt;
  }
  // 0. exactly one X-API-Token that verifies
  if (req.headerCount("x-api-token") != 1) {
    resp.json(403, kAuthError);
    return std::nullopt;
  }
  auth = authenticate(std::string(*req.header("x-api-token")));
  if (!auth) {
    resp.json(403, kAuthError);
    return std::nullopt;
  }
  // 1-5. the body, in the original order
  std::optional<std::string> queryCodedAt;
  if (!req.query().empty()) queryCodedAt = queryParam(req.query(), "coded_at");
  Validation v = validatePulseBody(req.body(), queryCodedAt ? &*queryCodedAt : nullptr, nowMicros());
  if (v.status != 0) {
    resp.json(v.status, errorJson(v.error));
    return std::nullopt;
  }
  PendingPulse pulse;
  pulse.userId = auth->userId;
  pulse.machineId = auth->machineId;
  pulse.time = v.pulse.time;
  pulse.xps.reserve(v.pulse.xps.size());
  try {
    for (const XpItem& x : v.pulse.xps) pulse.xps.push_back(PendingXp{language(x.language), x.amount});
  } catch (const std::exception& e) {
    host_.warn(std::string("language lookup failed: ") + e.what());
    resp.json(500, R"({"error":"Unknown error"})");
    return std::nullopt;
  }
  return pulse;
}

void Ingest::handlePulses(const std::vector<Request>& reqs, std::vector<Response>& resps) {
  // Each request is checked on its own (a bad pulse never fails the others); the good ones
  // are written in one transaction and answered only after it committed (group commit).
  batches_.fetch_add(1, std::memory_order_relaxed);
  for (size_t seen = largestBatch_.load();
       reqs.size() > seen && !largestBatch_.compare_exchange_weak(seen, reqs.size());) {
  }
  struct Accepted {
    size_t index;
    PendingPulse pulse;
    std::shared_ptr<const MachineAuth> auth;
  };
  std::vector<Accepted> accepted;
  accepted.reserve(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    std::shared_ptr<const MachineAuth> auth;
    if (auto pulse = preparePulse(reqs[i], resps[i], auth)) accepted.push_back(Accepted{i, std::move(*pulse), auth});
  }
  if (accepted.empty()) return;
  std::vector<PendingPulse*> pulses;
  std::vector<const MachineAuth*> auths;
  pulses.reserve(accepted.size());
  auths.reserve(accepted.size());
  for (auto& a : accepted) {
    pulses.push_back(&a.pulse);
    auths.push_back(a.auth.get());
  }
  std::vector<Outcome> outcome = commitPulses(pulses, auths, [&](size_t k) {
    return eventJson(accepted[k].pulse, *accepted[k].auth, reqs[accepted[k].index].remoteAddr());
  });
  for (size_t k = 0; k < accepted.size(); ++k) {
    Response& resp = resps[accepted[k].index];
    if (outcome[k] == Outcome::Revoked) {  // regenerated, deactivated or deleted meanwhile
      forgetToken(*reqs[accepted[k].index].header("x-api-token"));
      resp.json(403, kAuthError);
      continue;
    }
    if (outcome[k] == Outcome::Failed) {
      resp.json(500, R"({"error":"Unknown error"})");
      continue;
    }
    resp.status(201).header("Content-Type", "application/json; charset=utf-8").write(R"({"ok":"Great success!"})");
  }
}

std::string Ingest::importCsv(const std::vector<std::string>& args) {
  if (args.size() != 2) throw Error(CS_E_INVALID, "usage: ingest.import-csv USERNAME FILE");
  auto userId = findUserId(host_, args[0]);
  if (!userId) throw Error(CS_E_NOT_FOUND, "no user '" + args[0] + "'");
  std::ifstream in(args[1], std::ios::binary);
  if (!in) throw Error(CS_E_INVALID, "cannot open '" + args[1] + "'");
  std::vector<std::string> f;
  if (!readCsvRecord(in, f) ||
      f != std::vector<std::string>{"sent_at", "sent_at_local", "tz_offset", "language", "machine", "amount"})
    throw Error(CS_E_INVALID,
                "not a Code::Stats pulses export: the header must be "
                "sent_at;sent_at_local;tz_offset;language;machine;amount");
  // Group the XP rows into pulses by (machine, sent_at, sent_at_local, tz_offset).
  struct Group {
    std::string machine;
    PendingPulse pulse;
  };
  std::vector<Group> groups;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, size_t> index;
  std::map<std::string, int64_t> machines;
  size_t line = 1, rows = 0;
  while (readCsvRecord(in, f)) {
    ++line;
    if (f.size() == 1 && f[0].empty()) continue;
    if (f.size() != 6) throw Error(CS_E_INVALID, "line " + std::to_string(line) + ": expected 6 fields");
    ++rows;
    auto key = std::make_tuple(f[4], f[0], f[1], f[2]);
    auto it = index.find(key);
    if (it == index.end()) {
      auto utc = common::parseCodedAt(f[0]);
      if (!utc) throw Error(CS_E_INVALID, "line " + std::to_string(line) + ": invalid sent_at '" + f[0] + "'");
      int64_t sentSecs = floorDiv(*utc, 1000000);
      std::optional<int64_t> localSecs;
      if (!f[1].empty()) {
        auto l = common::parseCodedAt(f[1] + "Z");
        if (!l) throw Error(CS_E_INVALID, "line " + std::to_string(line) + ": invalid sent_at_local '" + f[1] + "'");
        localSecs = floorDiv(*l, 1000000);
      }
      int offset = 0;
      if (!f[2].empty()) offset = static_cast<int>(parseInt(f[2], "tz_offset"));
      else if (localSecs) offset = static_cast<int>((*localSecs - sentSecs) / 60);
      if (!localSecs) localSecs = sentSecs + offset * 60;
      Group g;
      g.machine = f[4];
      common::PulseTime& t = g.pulse.time;
      t.sentAtMs = sentSecs * 1000;
      t.sentAtLocalMs = *localSecs * 1000;
      t.tzOffset = offset;
      int64_t day = floorDiv(*localSecs, 86400);
      int64_t y;
      unsigned m, d;
      common::civilFromDays(day, y, m, d);
      t.localDay = static_cast<int32_t>(y * 10000 + m * 100 + d);
      t.localHour = static_cast<int>((*localSecs - day * 86400) / 3600);
      g.pulse.userId = *userId;
      index.emplace(key, groups.size());
      groups.push_back(std::move(g));
      it = index.find(key);
      machines.emplace(f[4], 0);
    }
    int64_t amount = parseInt(f[5], "amount");
    if (amount < 0 || amount > kMaxXp) throw Error(CS_E_INVALID, "line " + std::to_string(line) + ": invalid amount");
    std::string lang = normaliseLanguage(f[3]);
    groups[it->second].pulse.xps.push_back(PendingXp{language(lang), amount});
  }
  std::string missing;
  for (auto& [name, id] : machines) {
    Rows r = host_.query("SELECT id FROM machines WHERE user_id = $1 AND name = $2", {*userId, name});
    if (r.empty()) missing += (missing.empty() ? "" : ", ") + name;
    else id = r[0].i64(0);
  }
  if (!missing.empty())
    throw Error(CS_E_INVALID, "machines not found for '" + args[0] + "': " + missing +
                                  " (create them first with web.create-machine)");
  for (Group& g : groups) g.pulse.machineId = machines[g.machine];

  size_t imported = 0, skipped = 0, xpsRows = 0;
  int64_t xpSum = 0;
  int64_t nowMs = nowMicros() / 1000;
  constexpr size_t kChunk = 500;
  for (size_t start = 0; start < groups.size(); start += kChunk) {
    size_t end = std::min(groups.size(), start + kChunk);
    size_t chunkImported = 0, chunkSkipped = 0, chunkXps = 0;
    int64_t chunkXp = 0;
    host_.transaction([&](Tx& tx) {
      chunkImported = chunkSkipped = chunkXps = 0;
      chunkXp = 0;
      std::vector<PendingPulse*> todo;
      for (size_t i = start; i < end; ++i) {
        PendingPulse& p = groups[i].pulse;
        // By (user, sent_at): the index every backend has (SQLite has no machine index).
        Rows r = tx.query("SELECT 1 FROM pulses WHERE user_id = $1 AND sent_at = $2 AND machine_id = $3 LIMIT 1",
                          {p.userId, p.time.sentAtMs, p.machineId});
        if (!r.empty()) {
          ++chunkSkipped;
          continue;
        }
        todo.push_back(&p);
        ++chunkImported;
        chunkXps += p.xps.size();
        for (auto& x : p.xps) chunkXp += x.amount;
      }
      if (!todo.empty()) writePulses(tx, todo, nowMs, host_.dbBackend() == CS_DB_POSTGRES);
    });
    imported += chunkImported;
    skipped += chunkSkipped;
    xpsRows += chunkXps;
    xpSum += chunkXp;
    host_.info("import-csv " + args[0] + ": " + std::to_string(end) + "/" + std::to_string(groups.size()) +
               " pulses processed");
  }
  return "read " + std::to_string(rows) + " rows, " + std::to_string(groups.size()) + " pulses; imported " +
         std::to_string(imported) + " pulses (" + std::to_string(xpsRows) + " xps, " + std::to_string(xpSum) +
         " XP), skipped " + std::to_string(skipped) + " already present\n";
}

std::string Ingest::aliasLanguage(const std::vector<std::string>& args) {
  if (args.size() != 2) throw Error(CS_E_INVALID, "usage: ingest.alias-language FROM TO");
  std::string from = normaliseLanguage(args[0]), to = normaliseLanguage(args[1]);
  if (common::lowerAscii(from) == common::lowerAscii(to))
    throw Error(CS_E_INVALID, "cannot alias a language to itself");
  int64_t moved = 0;
  host_.transaction([&](Tx& tx) {
    if (host_.dbBackend() == CS_DB_POSTGRES) tx.query("LOCK TABLE user_language_xps IN EXCLUSIVE MODE");
    LanguageRef f = getOrCreateLanguage(tx, from);
    LanguageRef t = getOrCreateLanguage(tx, to);
    if (t.effectiveId != t.id) throw Error(CS_E_INVALID, "Cannot alias to an existing alias!");
    tx.query("UPDATE languages SET alias_of = $1 WHERE id = $2", {t.id, f.id});
    moved = tx.query("UPDATE xps SET language_id = $1 WHERE original_language_id = $2", {t.id, f.id}).affected();
    rebuildLanguageAggregates(tx, f.id);
    tx.publish("language.aliased", "{\"language\":" + jsonString(from) + ",\"alias_of\":" + jsonString(to) + "}");
  });
  invalidate("language.aliased");
  return "aliased " + from + " -> " + to + " (" + std::to_string(moved) + " xps moved)\n";
}

std::string Ingest::unaliasLanguage(const std::vector<std::string>& args) {
  if (args.size() != 1) throw Error(CS_E_INVALID, "usage: ingest.unalias-language NAME");
  std::string name = normaliseLanguage(args[0]);
  int64_t moved = 0;
  host_.transaction([&](Tx& tx) {
    if (host_.dbBackend() == CS_DB_POSTGRES) tx.query("LOCK TABLE user_language_xps IN EXCLUSIVE MODE");
    Rows r = tx.query("SELECT id, alias_of FROM languages WHERE name_lower = $1", {common::lowerAscii(name)});
    if (r.empty() || r[0].isNull(1)) throw Error(CS_E_INVALID, "Cannot unalias a language that is not an alias!");
    int64_t id = r[0].i64(0);
    tx.query("UPDATE languages SET alias_of = NULL WHERE id = $1", {id});
    moved =
        tx.query("UPDATE xps SET language_id = original_language_id WHERE original_language_id = $1", {id}).affected();
    rebuildLanguageAggregates(tx, id);
    tx.publish("language.aliased", "{\"language\":" + jsonString(name) + ",\"alias_of\":null}");
  });
  invalidate("language.aliased");
  return "unaliased " + name + " (" + std::to_string(moved) + " xps restored)\n";
}

std::string Ingest::rebuild(const std::vector<std::string>& args) {
  if (args.size() != 1) throw Error(CS_E_INVALID, "usage: ingest.rebuild-aggregates USERNAME|--all");
  std::optional<int64_t> userId;
  if (args[0] != "--all") {
    userId = findUserId(host_, args[0]);
    if (!userId) throw Error(CS_E_NOT_FOUND, "no user '" + args[0] + "'");
  }
  const bool postgres = host_.dbBackend() == CS_DB_POSTGRES;
  host_.transaction([&](Tx& tx) {
    if (!userId) return rebuildEveryUser(host_, tx, postgres, rebuildPulsesPerPass(host_), [](Tx&) {});
    if (postgres)
      tx.query(
          "LOCK TABLE user_language_xps, user_machine_xps, user_day_xps, user_hour_xps, user_totals IN "
          "EXCLUSIVE MODE");
    rebuildAggregates(tx, *userId);
  });
  return "rebuilt aggregates of " + (userId ? args[0] : std::string("every user")) + "\n";
}

std::string Ingest::stats(const std::vector<std::string>& args) {
  if (args.size() > 1) throw Error(CS_E_INVALID, "usage: ingest.stats [USERNAME]");
  std::optional<int64_t> userId;
  if (!args.empty()) {
    userId = findUserId(host_, args[0]);
    if (!userId) throw Error(CS_E_NOT_FOUND, "no user '" + args[0] + "'");
  }
  std::string json = statsJson(host_, userId);
  json.pop_back();
  return json + ",\"batches\":" + std::to_string(batches_.load()) +
         ",\"largest_batch\":" + std::to_string(largestBatch_.load()) + "}\n";
}

std::string Ingest::pulses(const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) throw Error(CS_E_INVALID, "usage: ingest.pulses USERNAME [LIMIT]");
  auto userId = findUserId(host_, args[0]);
  if (!userId) throw Error(CS_E_NOT_FOUND, "no user '" + args[0] + "'");
  int64_t limit = args.size() == 2 ? parseInt(args[1], "limit") : 10;
  return recentPulsesJson(host_, *userId, limit) + "\n";
}

}  // namespace codestats::ingest
