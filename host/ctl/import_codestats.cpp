#include "import_codestats.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSONString.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "codestats_source.hpp"
#include "import_progress.hpp"

namespace codestats::host::ctl {
namespace {

// The admin API takes bodies up to 1 MiB; batches stay well below with their JSON escaping.
constexpr size_t kMaxBatchBytes = 600 * 1024;
// A delta import also reads pulses received this long before the last run's snapshot: a
// pulse committed after that snapshot may carry a lower id than the watermark.
constexpr int64_t kLateCommitLookBackMs = 10 * 60 * 1000;
// Users named in one cache.reload (their ids fit the admin API's 1 MiB body); more: --all.
constexpr size_t kMaxReloadIds = 50000;

std::string quote(const std::string& s) { return Poco::toJSON(s, Poco::JSON_WRAP_STRINGS); }
std::string optQuote(const std::optional<std::string>& s) { return s ? quote(*s) : "null"; }

struct Refusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::vector<std::string> strings(const Poco::JSON::Object::Ptr& o, const char* key) {
  std::vector<std::string> out;
  if (auto a = o->getArray(key))
    for (size_t i = 0; i < a->size(); ++i) {
      Poco::Dynamic::Var v = a->get(static_cast<unsigned>(i));
      if (v.isString()) out.push_back(v.extract<std::string>());
      else {
        std::ostringstream s;
        Poco::JSON::Stringifier::stringify(v, s);
        out.push_back(s.str());
      }
    }
  return out;
}

void readPairs(const Poco::JSON::Object::Ptr& o, const char* key, std::unordered_map<int64_t, int64_t>& into) {
  if (auto a = o->getArray(key))
    for (size_t i = 0; i < a->size(); ++i) {
      auto p = a->getArray(static_cast<unsigned>(i));
      into[p->getElement<int64_t>(0)] = p->getElement<int64_t>(1);
    }
}

std::string userJson(const OriginalUser& u) {
  return "{\"id\":" + std::to_string(u.id) + ",\"username\":" + quote(u.username) + ",\"email\":" + optQuote(u.email) +
         ",\"password\":" + quote(u.password) + ",\"private\":" + (u.privateProfile ? "true" : "false") +
         ",\"terms_version\":" + quote(u.termsVersion) + ",\"inserted_at\":" + std::to_string(u.insertedAt) +
         ",\"updated_at\":" + std::to_string(u.updatedAt) + ",\"gravatar_email\":" + optQuote(u.gravatarEmail) + "}";
}

std::string machineJson(const OriginalMachine& m) {
  return "{\"id\":" + std::to_string(m.id) + ",\"user_id\":" + std::to_string(m.userId) + ",\"name\":" + quote(m.name) +
         ",\"api_salt\":" + quote(m.apiSalt) + ",\"active\":" + (m.active ? "true" : "false") +
         ",\"inserted_at\":" + std::to_string(m.insertedAt) + ",\"updated_at\":" + std::to_string(m.updatedAt) + "}";
}

// Users with their machines, in batches that fit the admin API.
std::vector<std::string> accountBatches(const std::vector<OriginalUser>& users,
                                        const std::vector<OriginalMachine>& machines, std::vector<size_t>& sizes) {
  std::map<int64_t, std::vector<const OriginalMachine*>> byUser;
  for (const auto& m : machines) byUser[m.userId].push_back(&m);
  // New ids (for rows whose id the target has taken) go above every original id.
  int64_t maxUser = 0, maxMachine = 0;
  for (const auto& u : users) maxUser = std::max(maxUser, u.id);
  for (const auto& m : machines) maxMachine = std::max(maxMachine, m.id);
  const std::string floor =
      ",\"id_floor\":{\"users\":" + std::to_string(maxUser) + ",\"machines\":" + std::to_string(maxMachine) + "}";
  std::vector<std::string> batches;
  std::string us, ms;
  size_t count = 0;
  auto flush = [&] {
    if (!count) return;
    batches.push_back("{\"users\":[" + us + "],\"machines\":[" + ms + "]" + floor + "}");
    sizes.push_back(count);
    us.clear();
    ms.clear();
    count = 0;
  };
  for (const auto& u : users) {
    us += (us.empty() ? "" : ",") + userJson(u);
    for (const OriginalMachine* m : byUser[u.id]) ms += (ms.empty() ? "" : ",") + machineJson(*m);
    ++count;
    if (us.size() + ms.size() > kMaxBatchBytes) flush();
  }
  flush();
  return batches;
}

std::vector<std::string> languageBatches(const std::vector<OriginalLanguage>& languages) {
  std::map<int64_t, const OriginalLanguage*> byId;
  for (const auto& l : languages) byId[l.id] = &l;
  std::vector<std::string> batches;
  std::string cur;
  for (const auto& l : languages) {
    std::string alias = "null";
    if (l.aliasOf && byId.count(*l.aliasOf)) alias = quote(byId[*l.aliasOf]->name);
    cur += (cur.empty() ? "" : ",") +
           ("{\"id\":" + std::to_string(l.id) + ",\"name\":" + quote(l.name) + ",\"alias_of\":" + alias +
            ",\"inserted_at\":" + std::to_string(l.insertedAt) + "}");
    if (cur.size() > kMaxBatchBytes) {
      batches.push_back("[" + cur + "]");
      cur.clear();
    }
  }
  if (!cur.empty() || batches.empty()) batches.push_back("[" + cur + "]");
  return batches;
}

std::string runOrThrow(const AdminClient& admin, const std::string& command, const std::vector<std::string>& args) {
  CommandResult r = admin.run(command, args);
  if (!r.ok()) throw std::runtime_error(command + ": " + r.error);
  return r.output;
}

struct Summary {
  int64_t users = 0, machines = 0, languages = 0, pulses = 0, present = 0, xps = 0, xp = 0, legacy = 0;
  int64_t keptIds = 0, newIds = 0;
  bool indexesDeferred = false;
  std::vector<std::string> skipped, mapped, renamed, oddUsernames, notes;
};

// Seconds spent per stage, for the summary: where an import's time goes. The pulse stages
// overlap (the CLI reads the next page while the host stores the previous one), so they
// add up to more than the pulses phase; "waited" is the CLI idle, waiting for the host.
struct StageTimes {
  double accounts = 0, read = 0, encode = 0, send = 0, store = 0, waited = 0, pulses = 0, aggregates = 0, cache = 0;
};

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class Importer {
 public:
  Importer(const AdminClient& admin, const ImportOptions& options) : admin_(admin), o_(options) {}
  // Whether a write was sent (a failure after it leaves a resumable import, not nothing).
  bool wrote() const { return wrote_; }

  int run() {
    auto t0 = std::chrono::steady_clock::now();
    CodestatsSource src(o_.conninfo);
    std::printf("import-codestats: reading %s (snapshot at migration %lld), source name '%s'\n", src.describe().c_str(),
                static_cast<long long>(kOriginalMigration), o_.source.c_str());
    requireCommands();
    auto users = src.users();
    auto machines = src.machines();
    auto languages = src.languages();
    std::vector<size_t> sizes;
    auto batches = accountBatches(users, machines, sizes);
    auto langBatches = languageBatches(languages);
    check(batches, langBatches);
    if (o_.verify) return verify(src, users, machines, languages);

    wrote_ = true;
    auto begin = parseObject(runOrThrow(admin_, "ingest.import-begin", {o_.source}));
    const int64_t offset = begin->getValue<int64_t>("offset");
    const int64_t watermark = watermark_ = begin->getValue<int64_t>("last_pulse_id");
    // A killed run's batches are in, their users' aggregates not rebuilt: rebuild everyone.
    const bool interrupted = begin->optValue<bool>("interrupted", true);
    std::optional<int64_t> lastSnapshot;
    if (!begin->isNull("snapshot_at")) lastSnapshot = begin->getValue<int64_t>("snapshot_at");
    // After a finished run nothing killed since: the aggregates hold every imported pulse.
    delta_ = lastSnapshot && !interrupted;
    if (watermark > 0)
      std::printf("import-codestats: resuming after original pulse %lld (%s)\n", static_cast<long long>(watermark),
                  delta_ ? "a delta import" : "an interrupted run");
    std::printf("import-codestats: %s\n",
                offset == 0
                    ? "original pulse ids kept"
                    : ("the target held pulses: original pulse ids are stored plus " + std::to_string(offset)).c_str());

    auto stage = std::chrono::steady_clock::now();
    ImportProgress accounts("users", static_cast<int64_t>(users.size()), stdout);
    for (size_t i = 0; i < batches.size(); ++i) {
      auto r = parseObject(runOrThrow(admin_, "web.import-accounts", {o_.source, "write", batches[i]}));
      readPairs(r, "users", userMap_);
      readPairs(r, "machines", machineMap_);
      s_.keptIds += r->getValue<int64_t>("kept_ids");
      accounts.advance(static_cast<int64_t>(sizes[i]));
    }
    accounts.finish();
    s_.users = static_cast<int64_t>(users.size());
    s_.machines = static_cast<int64_t>(machines.size());
    for (const auto& b : langBatches) {
      auto r = parseObject(runOrThrow(admin_, "ingest.import-languages", {o_.source, "write", b}));
      readPairs(r, "languages", languageMap_);
    }
    s_.languages = static_cast<int64_t>(languages.size());
    t_.accounts = secondsSince(stage);

    int64_t start = watermark;
    if (lastSnapshot && watermark > 0)
      if (auto late = src.firstPulseReceivedSince(*lastSnapshot - kLateCommitLookBackMs, watermark))
        start = std::min(start, *late - 1);
    stage = std::chrono::steady_clock::now();
    const int64_t coming = src.countPulsesAfter(start);
    // A first run (or its resumption) indexes its pulses at the end; a delta's look-back
    // needs the indexes to find the pulses it has already.
    if (!lastSnapshot && hasDeferIndexes_)
      s_.indexesDeferred =
          parseObject(runOrThrow(admin_, "ingest.import-defer-indexes", {o_.source, std::to_string(coming)}))
              ->getValue<bool>("deferred");
    importPulses(src, start, watermark, coming);
    t_.pulses = secondsSince(stage);

    // A delta's batches added to the aggregates as they went; any other run rebuilds every
    // user's once at the end.
    std::vector<std::string> finishArgs{o_.source, std::to_string(src.snapshotAt())};
    const bool all = !delta_;
    if (all) finishArgs.push_back("--all");
    std::printf("aggregates: %s%s\n", s_.indexesDeferred ? "indexing the pulses, " : "",
                all ? "rebuilding every user" : "added per batch");
    std::fflush(stdout);
    stage = std::chrono::steady_clock::now();
    runOrThrow(admin_, "ingest.import-finish", finishArgs);
    t_.aggregates = secondsSince(stage);
    stage = std::chrono::steady_clock::now();
    warmCache(all);
    t_.cache = secondsSince(stage);
    printSummary(secondsSince(t0));
    return 0;
  }

 private:
  void requireCommands() {
    Reply r = admin_.call("GET", "/admin/commands");
    for (const char* c : {"web.import-accounts", "ingest.import-pulses"})
      if (r.body.find(std::string("\"") + c + "\"") == std::string::npos)
        throw Refusal(std::string("the running codestatsd has no command ") + c +
                      ": load web and ingest (a build with import-codestats support)");
    hasCache_ = r.body.find("\"cache.reload\"") != std::string::npos;
    hasDeferIndexes_ = r.body.find("\"ingest.import-defer-indexes\"") != std::string::npos;
  }

  // Every batch checked before the first write: a clash refuses the whole import.
  void check(const std::vector<std::string>& batches, const std::vector<std::string>& langBatches) {
    std::vector<std::string> clashes;
    for (const auto& b : batches) {
      auto r = parseObject(runOrThrow(admin_, "web.import-accounts", {o_.source, "check", b}));
      for (auto& c : strings(r, "clashes")) clashes.push_back(c);
      for (auto& c : strings(r, "mapped")) s_.mapped.push_back(c);
      if (auto a = r->getArray("renamed_machines"))
        for (size_t i = 0; i < a->size(); ++i) {
          auto m = a->getObject(static_cast<unsigned>(i));
          s_.renamed.push_back("machine " + m->get("machine_id").toString() + " of user " +
                               m->get("user_id").toString() + ": '" + m->getValue<std::string>("from") + "' -> '" +
                               m->getValue<std::string>("to") + "'");
        }
      if (auto a = r->getArray("odd_usernames"))
        for (size_t i = 0; i < a->size(); ++i) {
          auto u = a->getObject(static_cast<unsigned>(i));
          s_.oddUsernames.push_back("'" + u->getValue<std::string>("username") +
                                    "': " + u->getValue<std::string>("reason"));
        }
      readPairs(r, "users", userMap_);
      readPairs(r, "machines", machineMap_);
    }
    for (const auto& b : langBatches) {
      auto r = parseObject(runOrThrow(admin_, "ingest.import-languages", {o_.source, "check", b}));
      for (auto& c : strings(r, "clashes")) clashes.push_back(c);
      for (auto& c : strings(r, "notes")) s_.notes.push_back(c);
      readPairs(r, "languages", languageMap_);
    }
    if (clashes.empty()) return;
    std::string msg = "refused, nothing was written: " + std::to_string(clashes.size()) + " clash(es) with the target";
    for (const auto& c : clashes) msg += "\n  " + c;
    throw Refusal(msg);
  }

  // One pulse line of ingest.import-pulses, ids mapped to the target's; "" with a reason
  // when the pulse cannot be imported.
  std::string pulseLine(const OriginalPulse& p, std::string& why) {
    auto u = userMap_.find(p.userId);
    auto m = machineMap_.find(p.machineId);
    if (u == userMap_.end() || m == machineMap_.end()) {
      why = "user or machine unknown";
      return "";
    }
    std::string line = std::to_string(p.id) + " " + std::to_string(u->second) + " " + std::to_string(m->second) + " " +
                       std::to_string(p.sentAt) + " " + (p.sentAtLocal ? std::to_string(*p.sentAtLocal) : "-") + " " +
                       (p.tzOffset ? std::to_string(*p.tzOffset) : "-") + " " + std::to_string(p.insertedAt);
    for (const auto& x : p.xps) {
      auto l = languageMap_.find(x.languageId);
      auto ol = languageMap_.find(x.originalLanguageId);
      if (l == languageMap_.end() || ol == languageMap_.end()) {
        why = "language unknown";
        return "";
      }
      line += " " + std::to_string(l->second) + " " + std::to_string(ol->second) + " " + std::to_string(x.amount);
    }
    // A look-back pulse may be there already: its user counts if ingest stored it (collect).
    if (p.id > watermark_) touched_.insert(u->second);
    return line + "\n";
  }

  void importPulses(CodestatsSource& src, int64_t start, int64_t watermark, int64_t coming) {
    ImportProgress progress("pulses", coming, stdout);
    int64_t cursor = start, after = watermark;
    struct Call {
      std::string output;
      int64_t pulses = 0;
      double seconds = 0;  // the call's round trip
    };
    std::future<Call> inFlight;
    auto collect = [&] {
      if (!inFlight.valid()) return;
      auto waitStart = std::chrono::steady_clock::now();
      Call call = inFlight.get();
      t_.waited += secondsSince(waitStart);
      auto r = parseObject(call.output);
      // The host's own time (parse and transaction); the rest of the round trip is transfer.
      double store = r->optValue<int64_t>("store_us", 0) / 1e6;
      t_.store += store;
      t_.send += std::max(0.0, call.seconds - store);
      s_.pulses += r->getValue<int64_t>("pulses");
      s_.present += r->getValue<int64_t>("present");
      s_.xps += r->getValue<int64_t>("xps");
      s_.xp += r->getValue<int64_t>("xp");
      s_.legacy += r->getValue<int64_t>("legacy");
      s_.newIds += r->getValue<int64_t>("new_ids");
      if (auto a = r->getArray("look_back_users"))
        for (size_t i = 0; i < a->size(); ++i) touched_.insert(a->getElement<int64_t>(static_cast<unsigned>(i)));
      if (int64_t neg = r->getValue<int64_t>("negative_xps"))
        s_.notes.push_back(std::to_string(neg) +
                           " xps with a negative amount kept as they are (the original's API refused such XP, its "
                           "database held them and its totals count them)");
      progress.advance(call.pulses);
    };
    // Reading the next page overlaps with the host writing the previous one.
    while (true) {
      auto readStart = std::chrono::steady_clock::now();
      auto page = src.pulses(cursor, o_.batchPulses);
      t_.read += secondsSince(readStart);
      if (page.empty()) break;
      auto encodeStart = std::chrono::steady_clock::now();
      cursor = page.back().id;
      std::vector<std::pair<std::string, int64_t>> calls;  // (lines, through)
      std::string lines;
      int64_t n = 0;
      for (const auto& p : page) {
        std::string why;
        std::string line = pulseLine(p, why);
        if (line.empty()) s_.skipped.push_back("pulse " + std::to_string(p.id) + ": " + why);
        lines += line;
        ++n;
        if (lines.size() > kMaxBatchBytes) {
          calls.emplace_back(std::move(lines), p.id);
          lines.clear();
        }
      }
      if (!lines.empty() || calls.empty()) calls.emplace_back(std::move(lines), cursor);
      t_.encode += secondsSince(encodeStart);
      for (auto& [text, through] : calls) {
        collect();
        int64_t callAfter = after;
        after = std::max(after, through);
        int64_t pulsesInCall = calls.size() == 1 ? n : 0;
        inFlight =
            std::async(std::launch::async, [this, text = std::move(text), callAfter, through = after, pulsesInCall] {
              auto callStart = std::chrono::steady_clock::now();
              Call call;
              std::vector<std::string> args{o_.source, std::to_string(callAfter), std::to_string(through), text};
              if (delta_) args.push_back("--add-to-aggregates");
              call.output = runOrThrow(admin_, "ingest.import-pulses", args);
              call.pulses = pulsesInCall;
              call.seconds = secondsSince(callStart);
              return call;
            });
      }
      if (calls.size() != 1) progress.advance(n);
    }
    collect();
    progress.finish();
  }

  // The cache reads the new accounts from web's events, then loads every user (after a
  // rebuild of every user) or those that got pulses from the aggregate tables, so the first
  // profile views are warm and exact (it gets no event per imported pulse).
  void warmCache(bool all) {
    if (!hasCache_ || (!all && touched_.empty())) return;
    for (int i = 0; i < 600; ++i) {  // wait until the cache has read the account events
      Reply r = admin_.call("GET", "/admin/modules/cache");
      auto o = r.status == 200 ? parseObject(r.body) : nullptr;
      auto ev = o ? o->getObject("events") : nullptr;
      if (!ev || ev->getValue<int64_t>("lag_events") == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::vector<std::string> args{"--all"};
    if (!all && touched_.size() <= kMaxReloadIds) {
      args.clear();
      for (int64_t u : touched_) args.push_back(std::to_string(u));
    }
    if (!admin_.run("cache.reload", args).ok()) return;
    int64_t total = 0;
    std::optional<ImportProgress> progress;
    for (int64_t last = 0;;) {
      auto st = parseObject(runOrThrow(admin_, "cache.status", {}));
      auto rb = st->getObject("reload");
      int64_t done = rb ? rb->getValue<int64_t>("done") : 0;
      if (!progress) progress.emplace("cache", total = rb ? rb->getValue<int64_t>("total") : 0, stdout);
      progress->advance(done - last);
      last = done;
      if (!st->getValue<bool>("busy") || done >= total) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    progress->finish();
  }

  void printSummary(double secs) {
    std::printf("\nimport-codestats: done in %.1f s (source '%s')\n", secs, o_.source.c_str());
    std::printf("  users       %lld\n  machines    %lld\n  languages   %lld\n", static_cast<long long>(s_.users),
                static_cast<long long>(s_.machines), static_cast<long long>(s_.languages));
    std::printf("  pulses      %lld imported, %lld already there\n  xps         %lld (%lld XP)\n",
                static_cast<long long>(s_.pulses), static_cast<long long>(s_.present), static_cast<long long>(s_.xps),
                static_cast<long long>(s_.xp));
    if (s_.legacy)
      std::printf("  legacy      %lld pulses without local time: stored at UTC, as the original's cache counted them\n",
                  static_cast<long long>(s_.legacy));
    if (s_.newIds)
      std::printf("  new ids     %lld pulses: the target had given their original ids to pulses of its own\n",
                  static_cast<long long>(s_.newIds));
    auto section = [](const char* title, const std::vector<std::string>& items) {
      if (items.empty()) return;
      std::printf("  %s (%zu):\n", title, items.size());
      for (const auto& i : items) std::printf("    %s\n", i.c_str());
    };
    section("skipped", s_.skipped);
    section("ids mapped", s_.mapped);
    section("machines renamed (case-only twins; tokens and XP unchanged)", s_.renamed);
    section("usernames kept although signup refuses them", s_.oddUsernames);
    section("notes", s_.notes);
    std::printf(
        "  time        accounts %.1f s, pulses %.1f s (read %.1f, encode %.1f, send %.1f, store %.1f, waited %.1f), "
        "aggregates %.1f s, cache %.1f s\n",
        t_.accounts, t_.pulses, t_.read, t_.encode, t_.send, t_.store, t_.waited, t_.aggregates, t_.cache);
  }

  int verify(CodestatsSource& src, const std::vector<OriginalUser>& users, const std::vector<OriginalMachine>& machines,
             const std::vector<OriginalLanguage>& languages) {
    std::map<int64_t, std::string> userName, machineName, languageName;
    for (const auto& u : users) userName[u.id] = u.username;
    for (const auto& m : machines) machineName[m.id] = m.name;
    for (const auto& l : languages) languageName[l.id] = l.name;
    std::unordered_map<int64_t, int64_t> targetUser;  // target id -> original id
    for (const auto& [from, to] : userMap_) targetUser[to] = from;
    std::unordered_map<int64_t, int64_t> backMachine, backLanguage;
    for (const auto& [from, to] : machineMap_) backMachine[to] = from;
    for (const auto& [from, to] : languageMap_) backLanguage[to] = from;

    auto compare = [&](const std::map<int64_t, UserFigures>& figures, const char* against) {
      std::vector<std::string> out;
      std::vector<std::string> batch;
      size_t bytes = 0;
      auto flush = [&] {
        if (batch.empty()) return;
        std::string json = "[";
        for (size_t i = 0; i < batch.size(); ++i) json += (i ? "," : "") + batch[i];
        auto r = parseObject(runOrThrow(admin_, "ingest.import-compare", {json + "]"}));
        auto diffs = r->getArray("differences");
        for (size_t i = 0; diffs && i < diffs->size(); ++i) {
          auto d = diffs->getObject(static_cast<unsigned>(i));
          int64_t user = targetUser[d->getValue<int64_t>("user_id")];
          std::string what = d->getValue<std::string>("what");
          // "language 12" / "machine 7" in target ids: named by the original's names.
          auto space = what.find(' ');
          if (space != std::string::npos) {
            int64_t id = std::stoll(what.substr(space + 1));
            if (what.rfind("language", 0) == 0) what = "language '" + languageName[backLanguage[id]] + "'";
            else what = "machine '" + machineName[backMachine[id]] + "'";
          }
          out.push_back("user '" + userName[user] + "': " + what + ": original " +
                        std::to_string(d->getValue<int64_t>("original")) + " (" + against + "), codestatsd " +
                        std::to_string(d->getValue<int64_t>("target")));
        }
        batch.clear();
        bytes = 0;
      };
      for (const auto& u : users) {
        auto target = userMap_.find(u.id);
        auto f = figures.find(u.id);
        if (target == userMap_.end() || target->second == 0) {
          if (f != figures.end() && f->second.total)
            out.push_back("user '" + u.username + "': not imported (original " + std::to_string(f->second.total) +
                          " XP)");
          continue;
        }
        if (f == figures.end() && std::string(against) != "tables") continue;
        std::string entry = "{\"user_id\":" + std::to_string(target->second) +
                            ",\"total\":" + std::to_string(f == figures.end() ? 0 : f->second.total);
        auto ids = [&](const std::map<int64_t, int64_t>& m, const std::unordered_map<int64_t, int64_t>& map) {
          std::string s = "{";
          for (const auto& [id, xp] : m) {
            auto t = map.find(id);
            s += (s.size() > 1 ? ",\"" : "\"") + std::to_string(t == map.end() ? -id : t->second) +
                 "\":" + std::to_string(xp);
          }
          return s + "}";
        };
        if (f != figures.end())
          entry += ",\"languages\":" + ids(f->second.languages, languageMap_) +
                   ",\"machines\":" + ids(f->second.machines, machineMap_);
        entry += "}";
        bytes += entry.size();
        batch.push_back(std::move(entry));
        if (bytes > kMaxBatchBytes) flush();
      }
      flush();
      return out;
    };
    auto tables = compare(src.figuresFromTables(), "tables");
    auto caches = compare(src.figuresFromCache(), "users.cache");
    std::printf("verify: %zu users compared (total XP, XP per language and per machine)\n", users.size());
    std::printf("  against the original's tables: %zu difference(s)\n", tables.size());
    for (const auto& d : tables) std::printf("    %s\n", d.c_str());
    std::printf("  against the original's users.cache: %zu difference(s)%s\n", caches.size(),
                caches.empty() ? "" : " (the original's cache may be stale; its tables are what was imported)");
    for (const auto& d : caches) std::printf("    %s\n", d.c_str());
    return tables.empty() ? 0 : 1;
  }

  const AdminClient& admin_;
  ImportOptions o_;
  bool hasCache_ = false, hasDeferIndexes_ = false, wrote_ = false;
  bool delta_ = false;  // this run's batches add to the aggregates (import-pulses --add-to-aggregates)
  std::unordered_map<int64_t, int64_t> userMap_, machineMap_, languageMap_;
  std::set<int64_t> touched_;  // target ids of users that got pulses in this run
  int64_t watermark_ = 0;      // the last original pulse id of the runs before this one
  Summary s_;
  StageTimes t_;
};

}  // namespace

int importCodestats(const AdminClient& admin, const ImportOptions& options) {
  Importer importer(admin, options);
  try {
    return importer.run();
  } catch (const SourceError& e) {
    if (importer.wrote())
      std::fprintf(stderr, "codestatsctl: import-codestats: %s\n(run the same command again to resume)\n", e.what());
    else std::fprintf(stderr, "codestatsctl: import-codestats: %s; nothing was written\n", e.what());
    return 1;
  } catch (const Refusal& e) {
    std::fprintf(stderr, "codestatsctl: import-codestats: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "codestatsctl: import-codestats: %s\n(what was written stays; run the same command again to resume)\n",
                 e.what());
    return 1;
  }
}

}  // namespace codestats::host::ctl
