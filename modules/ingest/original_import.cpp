#include "original_import.hpp"

#include <rapidjson/document.h>

#include <codestats/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_set>

#include "aggregate_rebuild.hpp"
#include "common/ascii.hpp"
#include "import_batch.hpp"
#include "schema.hpp"
#include "store.hpp"

namespace codestats::ingest {
namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t parseId(const std::string& s, const char* what) {
  try {
    size_t used = 0;
    int64_t v = std::stoll(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  throw Error(CS_E_INVALID, std::string(what) + " must be an integer, not '" + s + "'");
}

std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]";
}

rapidjson::Document parseJson(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) throw Error(CS_E_INVALID, "the batch is not JSON");
  return d;
}

struct SourceLanguage {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> aliasOf;  // the name of the language it is an alias of
  int64_t insertedAt = 0;
};

struct TargetLanguage {
  int64_t id = 0;
  std::string name;
  std::optional<int64_t> aliasOf;
};

}  // namespace

std::string OriginalImport::begin(const std::vector<std::string>& args) {
  if (args.size() != 1) throw Error(CS_E_INVALID, "usage: ingest.import-begin SOURCE");
  std::string answer;
  host_.transaction([&](Tx& tx) {
    Rows r = tx.query(
        "SELECT pulse_offset, last_pulse_id, snapshot_at, finished_at, pulses, xps, updated_at FROM import_sources "
        "WHERE source = $1",
        {args[0]});
    Rows target = tx.query("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM pulses");
    int64_t offset = 0, last = 0, pulses = 0, xps = 0;
    bool interrupted = false;
    std::optional<int64_t> snapshot, finished;
    if (r.empty()) {
      offset = target[0].i64(1);  // 0 into an empty target: the original's pulse ids are kept
      int64_t now = nowMs();
      tx.query(
          "INSERT INTO import_sources (source, pulse_offset, last_pulse_id, snapshot_at, pulses, xps, started_at, "
          "updated_at) VALUES ($1, $2, 0, NULL, 0, 0, $3, $3)",
          {args[0], offset, now});
    } else {
      offset = r[0].i64(0);
      last = r[0].i64(1);
      snapshot = r[0].optI64(2);
      finished = r[0].optI64(3);
      pulses = r[0].i64(4);
      xps = r[0].i64(5);
      // Batches committed after the last finished run (or with none finished): their users'
      // aggregates were not rebuilt.
      interrupted = last > 0 && (!finished || r[0].i64(6) > *finished);
    }
    auto opt = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("null"); };
    answer = "{\"offset\":" + std::to_string(offset) + ",\"last_pulse_id\":" + std::to_string(last) +
             ",\"snapshot_at\":" + opt(snapshot) + ",\"finished_at\":" + opt(finished) +
             ",\"pulses\":" + std::to_string(pulses) + ",\"xps\":" + std::to_string(xps) +
             ",\"target_pulses\":" + std::to_string(target[0].i64(0)) +
             ",\"interrupted\":" + (interrupted ? "true" : "false") + "}";
  });
  return answer + "\n";
}

std::string OriginalImport::deferIndexes(const std::vector<std::string>& args) {
  if (args.size() != 2) throw Error(CS_E_INVALID, "usage: ingest.import-defer-indexes SOURCE PULSES");
  const int64_t coming = parseId(args[1], "PULSES");
  // Each pulse inserted into an index lands at a random place (user and time are not in id
  // order): with 1M pulses that was 9 of every 10 seconds of the SQLite import, while
  // building the index afterwards from sorted keys takes about what 50k such inserts do
  // (bench/README.md, "Import"). So: worth it for many pulses against what is there.
  constexpr int64_t kMinPulses = 50000;
  bool deferred = false;
  const bool postgres = host_.dbBackend() == CS_DB_POSTGRES;
  host_.transaction([&](Tx& tx) {
    if (tx.query("SELECT 1 FROM import_sources WHERE source = $1", {args[0]}).empty())
      throw Error(CS_E_INVALID, "no import of '" + args[0] + "' begun (ingest.import-begin)");
    const int64_t present = tx.query("SELECT COUNT(*) FROM pulses")[0].i64(0);
    deferred = coming >= kMinPulses && coming * 10 >= present;
    if (!deferred) return;
    for (const SecondaryIndex& i : pulseIndexes(postgres)) tx.query(std::string("DROP INDEX IF EXISTS ") + i.name);
  });
  return std::string("{\"deferred\":") + (deferred ? "true" : "false") + "}\n";
}

std::string OriginalImport::languages(const std::vector<std::string>& args) {
  if (args.size() != 3 || (args[1] != "check" && args[1] != "write"))
    throw Error(CS_E_INVALID, "usage: ingest.import-languages SOURCE check|write JSON");
  const bool write = args[1] == "write";
  rapidjson::Document d = parseJson(args[2]);
  if (!d.IsArray()) throw Error(CS_E_INVALID, "the batch must be a JSON array");
  std::vector<SourceLanguage> source;
  for (const auto& v : d.GetArray()) {
    auto field = [&](const char* k) -> const rapidjson::Value& {
      auto it = v.FindMember(k);
      if (it == v.MemberEnd()) throw Error(CS_E_INVALID, std::string("a language lacks ") + k);
      return it->value;
    };
    if (!v.IsObject() || !field("id").IsInt64() || !field("name").IsString() || !field("inserted_at").IsInt64() ||
        !(field("alias_of").IsNull() || field("alias_of").IsString()))
      throw Error(CS_E_INVALID, "a language must be {id, name, alias_of: name|null, inserted_at}");
    SourceLanguage l{field("id").GetInt64(), field("name").GetString(), std::nullopt, field("inserted_at").GetInt64()};
    if (field("alias_of").IsString()) l.aliasOf = field("alias_of").GetString();
    source.push_back(std::move(l));
  }
  std::vector<std::string> pairs, clashes, notes;
  int64_t kept = 0, reused = 0, fresh = 0;
  auto run = [&](Tx* tx) {
    auto query = [&](std::string_view sql, std::initializer_list<Param> p) {
      return tx ? tx->query(sql, p) : host_.query(sql, p);
    };
    // The target's languages by lower-cased name (one read; languages are few).
    std::map<std::string, TargetLanguage> byLower;
    std::map<int64_t, std::string> lowerById;
    Rows all = query("SELECT id, name, alias_of FROM languages", {});
    for (size_t i = 0; i < all.size(); ++i) {
      TargetLanguage t{all[i].i64(0), std::string(all[i].text(1)), all[i].optI64(2)};
      lowerById[t.id] = common::lowerAscii(t.name);
      byLower[common::lowerAscii(t.name)] = t;
    }
    std::set<std::string> created;
    std::map<int64_t, int64_t> targetOf;
    for (const SourceLanguage& l : source) {
      std::string lower = common::lowerAscii(l.name);
      auto hit = byLower.find(lower);
      if (hit != byLower.end()) {
        // Already there (a live language, or a second run): the same row is used if it
        // agrees about the alias; a different alias would move XP between languages.
        std::optional<std::string> targetAlias;
        if (hit->second.aliasOf) targetAlias = lowerById[*hit->second.aliasOf];
        std::optional<std::string> sourceAlias;
        if (l.aliasOf) sourceAlias = common::lowerAscii(*l.aliasOf);
        if (!created.count(lower) && targetAlias != sourceAlias)
          clashes.push_back(jsonString("language '" + l.name + "' is " +
                                       (l.aliasOf ? "an alias of '" + *l.aliasOf + "'" : std::string("canonical")) +
                                       " in the original but " +
                                       (targetAlias ? "an alias of '" + *targetAlias + "'" : std::string("canonical")) +
                                       " in the target (align them with ingest.alias-language/unalias-language)"));
        if (hit->second.name != l.name && !created.count(lower))
          notes.push_back(jsonString("language '" + l.name + "' exists in the target as '" + hit->second.name +
                                     "'; the target's spelling is kept"));
        if (hit->second.id == l.id) ++kept;
        else ++reused;
        targetOf[l.id] = hit->second.id;
        continue;
      }
      bool keep = query("SELECT 1 FROM languages WHERE id = $1", {l.id}).empty();
      int64_t id = keep ? l.id : 0;
      if (tx) {
        Rows r = keep ? tx->query(
                            "INSERT INTO languages (id, name, name_lower, alias_of, inserted_at) VALUES ($1, $2, $3, "
                            "NULL, $4) RETURNING id",
                            {l.id, l.name, lower, l.insertedAt})
                      : tx->query(
                            "INSERT INTO languages (name, name_lower, alias_of, inserted_at) VALUES ($1, $2, NULL, "
                            "$3) RETURNING id",
                            {l.name, lower, l.insertedAt});
        id = r[0].i64(0);
      }
      if (keep) ++kept;
      else ++fresh;
      byLower[lower] = TargetLanguage{id, l.name, std::nullopt};
      lowerById[id] = lower;
      created.insert(lower);
      targetOf[l.id] = id;
    }
    // Aliases once every language of the batch exists (an alias may come before its target).
    for (const SourceLanguage& l : source) {
      std::string lower = common::lowerAscii(l.name);
      if (!l.aliasOf || !created.count(lower)) continue;
      auto target = byLower.find(common::lowerAscii(*l.aliasOf));
      if (target == byLower.end()) {
        if (tx) throw Error(CS_E_INVALID, "language '" + l.name + "' is an alias of '" + *l.aliasOf + "', not sent");
        continue;  // check mode: an earlier batch creates it
      }
      if (tx) tx->query("UPDATE languages SET alias_of = $1 WHERE id = $2", {target->second.id, targetOf[l.id]});
    }
    for (const auto& [from, to] : targetOf)
      pairs.push_back("[" + std::to_string(from) + "," + std::to_string(to) + "]");
    if (tx && !clashes.empty()) throw Error(CS_E_CONFLICT, "refused, nothing written: " + list(clashes));
    if (tx && host_.dbBackend() == CS_DB_POSTGRES)
      tx->query("SELECT setval('languages_id_seq', (SELECT COALESCE(MAX(id), 1) FROM languages))");
  };
  if (write) {
    host_.transaction([&](Tx& tx) { run(&tx); });
    languagesChanged_();
  } else {
    run(nullptr);
  }
  return "{\"languages\":" + list(pairs) + ",\"kept_ids\":" + std::to_string(kept) +
         ",\"reused\":" + std::to_string(reused) + ",\"new_ids\":" + std::to_string(fresh) +
         ",\"clashes\":" + list(clashes) + ",\"notes\":" + list(notes) + "}\n";
}

std::string OriginalImport::pulses(const std::vector<std::string>& args) {
  const bool addToSums = args.size() == 5 && args[4] == "--add-to-aggregates";
  if (args.size() != 4 && !addToSums)
    throw Error(CS_E_INVALID, "usage: ingest.import-pulses SOURCE AFTER THROUGH BATCH [--add-to-aggregates]");
  const auto started = std::chrono::steady_clock::now();
  const int64_t after = parseId(args[1], "AFTER"), through = parseId(args[2], "THROUGH");
  std::vector<ImportedPulse> batch;
  try {
    batch = parsePulseBatch(args[3]);
  } catch (const std::invalid_argument& e) {
    throw Error(CS_E_INVALID, e.what());
  }
  int64_t inserted = 0, present = 0, xpsRows = 0, xpSum = 0, legacy = 0, negative = 0, renumbered = 0;
  std::set<int64_t> lookBackUsers;  // users of look-back pulses that were not there yet
  const bool postgres = host_.dbBackend() == CS_DB_POSTGRES;
  host_.transaction([&](Tx& tx) {
    inserted = present = xpsRows = xpSum = legacy = negative = renumbered = 0;
    lookBackUsers.clear();
    Rows w = tx.query("SELECT pulse_offset, last_pulse_id FROM import_sources WHERE source = $1", {args[0]});
    if (w.empty()) throw Error(CS_E_INVALID, "no import of '" + args[0] + "' begun (ingest.import-begin)");
    const int64_t offset = w[0].i64(0);
    if (w[0].i64(1) != after)
      throw Error(CS_E_CONFLICT, "the watermark of '" + args[0] + "' is " + std::to_string(w[0].i64(1)) + ", not " +
                                     std::to_string(after) + ": is another import of this source running?");
    // A pulse at or below the watermark comes from the delta's look-back: it may be there
    // already (same user, machine and sent_at, the CSV import's rule). Above it, nothing of
    // the batch was committed before (each batch commits with its watermark).
    std::vector<const ImportedPulse*> todo;
    for (const ImportedPulse& p : batch) {
      if (p.sourceId <= after &&
          !tx.query("SELECT 1 FROM pulses WHERE user_id = $1 AND sent_at = $2 AND machine_id = $3 LIMIT 1",
                    {p.userId, p.time.sentAtMs, p.machineId})
               .empty()) {
        ++present;
        continue;
      }
      todo.push_back(&p);
    }
    auto rowOf = [&](const ImportedPulse& p, int64_t id) {
      return std::vector<Param>{id,
                                p.userId,
                                p.machineId,
                                p.time.sentAtMs,
                                p.time.sentAtLocalMs,
                                p.time.tzOffset,
                                p.time.localDay,
                                p.time.localHour,
                                p.insertedAtMs};
    };
    // The original's id plus the offset where it is free (always, into a target that took
    // no pulses of its own since the first run), else a new one.
    // PostgreSQL: one statement with the columns as arrays (insertRows).
    constexpr size_t kWidth = 9;
    std::vector<Param> pulseValues;
    pulseValues.reserve(todo.size() * kWidth);
    for (const ImportedPulse* p : todo)
      for (Param& v : rowOf(*p, p->sourceId + offset)) pulseValues.push_back(std::move(v));
    std::vector<int64_t> ids = insertRows(tx,
                                          "INSERT INTO pulses (id, user_id, machine_id, sent_at, sent_at_local, "
                                          "tz_offset, local_day, local_hour, inserted_at) VALUES ",
                                          " ON CONFLICT (id) DO NOTHING RETURNING id", kWidth, pulseValues, postgres);
    std::unordered_set<int64_t> stored(ids.begin(), ids.end());
    std::vector<Param> xpValues;
    AggregateSums sums;
    for (const ImportedPulse* p : todo) {
      int64_t id = p->sourceId + offset;
      if (!stored.count(id)) {  // taken by a pulse the target got through its API
        id = postgres ? tx.query("SELECT nextval('pulses_id_seq')")[0].i64(0)
                      : tx.query("SELECT COALESCE(MAX(id), 0) + 1 FROM pulses")[0].i64(0);
        tx.query(multiRowSql("INSERT INTO pulses (id, user_id, machine_id, sent_at, sent_at_local, tz_offset, "
                             "local_day, local_hour, inserted_at) VALUES ",
                             "", kWidth, 1),
                 rowOf(*p, id));
        ++renumbered;
      }
      ++inserted;
      if (p->sourceId <= after) lookBackUsers.insert(p->userId);
      if (p->legacy) ++legacy;
      int64_t pulseXp = 0;
      for (const ImportedXp& x : p->xps) {
        // The original's API refused these, its database did not, and its totals count
        // them: kept as they are, and reported.
        if (x.amount < 0) ++negative;
        for (Param v : {Param(id), Param(x.languageId), Param(x.originalLanguageId), Param(x.amount)})
          xpValues.push_back(v);
        ++xpsRows;
        xpSum += x.amount;
        pulseXp += x.amount;
        if (addToSums) sums.addXp(p->userId, x.languageId, x.amount);
      }
      // As a rebuild counts them: no machine, day or hour row for a pulse without xps.
      if (addToSums) {
        if (!p->xps.empty()) sums.addPulseRows(p->userId, p->machineId, p->time.localDay, p->time.localHour, pulseXp);
        sums.addTotal(p->userId, p->time.sentAtMs, pulseXp);
      }
    }
    insertRows(tx, "INSERT INTO xps (pulse_id, language_id, original_language_id, amount) VALUES ", "", 4, xpValues,
               postgres);
    // A delta after a finished run: the batch's sums go straight into the aggregates, as
    // live pulses' do (no rebuild of its users at the end).
    if (addToSums) addToAggregates(tx, sums, postgres);
    tx.query(
        "UPDATE import_sources SET last_pulse_id = $1, pulses = pulses + $2, xps = xps + $3, updated_at = $4 WHERE "
        "source = $5",
        {std::max(after, through), inserted, xpsRows, nowMs(), args[0]});
  });
  std::vector<std::string> userIds;
  for (int64_t u : lookBackUsers) userIds.push_back(std::to_string(u));
  return "{\"pulses\":" + std::to_string(inserted) + ",\"present\":" + std::to_string(present) +
         ",\"xps\":" + std::to_string(xpsRows) + ",\"xp\":" + std::to_string(xpSum) +
         ",\"legacy\":" + std::to_string(legacy) + ",\"negative_xps\":" + std::to_string(negative) +
         ",\"new_ids\":" + std::to_string(renumbered) + ",\"look_back_users\":" + list(userIds) + ",\"store_us\":" +
         std::to_string(
             std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
                 .count()) +
         "}\n";
}

std::string OriginalImport::finish(const std::vector<std::string>& args) {
  if (args.size() < 2)
    throw Error(CS_E_INVALID, "usage: ingest.import-finish SOURCE SNAPSHOT_AT_MS [--all|USER_ID...]");
  const int64_t snapshotAt = parseId(args[1], "SNAPSHOT_AT_MS");
  std::vector<int64_t> users;
  const bool all = args.size() > 2 && args[2] == "--all";
  if (!all)
    for (size_t i = 2; i < args.size(); ++i) users.push_back(parseId(args[i], "USER_ID"));
  const bool postgres = host_.dbBackend() == CS_DB_POSTGRES;
  const int64_t perPass = rebuildPulsesPerPass(host_);
  host_.transaction([&](Tx& tx) {
    // Deferred by import-defer-indexes (this run's or a killed one's); a no-op otherwise.
    // Before the per-user rebuilds, which read pulses by user; alongside the sums of every
    // user (SQLite: on another core).
    auto buildIndexes = [postgres](Tx& t) {
      for (const SecondaryIndex& i : pulseIndexes(postgres)) t.query(i.create);
    };
    if (all) {
      rebuildEveryUser(host_, tx, postgres, perPass, buildIndexes);
    } else {
      buildIndexes(tx);
      if (postgres && !users.empty())
        tx.query(
            "LOCK TABLE user_language_xps, user_machine_xps, user_day_xps, user_hour_xps, user_totals IN EXCLUSIVE "
            "MODE");
      for (int64_t u : users) rebuildAggregates(tx, u);
    }
    if (postgres) {
      // Explicit ids leave the sequences behind: the next live pulse would clash.
      tx.query("SELECT setval('pulses_id_seq', (SELECT COALESCE(MAX(id), 1) FROM pulses))");
      tx.query("SELECT setval('languages_id_seq', (SELECT COALESCE(MAX(id), 1) FROM languages))");
    }
    if (tx.query("UPDATE import_sources SET snapshot_at = $1, finished_at = $2, updated_at = $2 WHERE source = $3",
                 {snapshotAt, nowMs(), args[0]})
            .affected() != 1)
      throw Error(CS_E_INVALID, "no import of '" + args[0] + "' begun (ingest.import-begin)");
  });
  return "{\"rebuilt_users\":" + (all ? std::string("\"all\"") : std::to_string(users.size())) + "}\n";
}

std::string OriginalImport::compare(const std::vector<std::string>& args) {
  if (args.size() != 1) throw Error(CS_E_INVALID, "usage: ingest.import-compare JSON");
  rapidjson::Document d = parseJson(args[0]);
  if (!d.IsArray()) throw Error(CS_E_INVALID, "the batch must be a JSON array");
  std::vector<std::string> differences;
  int64_t users = 0;
  for (const auto& u : d.GetArray()) {
    if (!u.IsObject() || !u.HasMember("user_id") || !u["user_id"].IsInt64() || !u.HasMember("total") ||
        !u["total"].IsInt64())
      throw Error(CS_E_INVALID, "each entry needs user_id and total");
    const int64_t userId = u["user_id"].GetInt64();
    ++users;
    auto differ = [&](const std::string& what, int64_t original, int64_t target) {
      if (original != target)
        differences.push_back("{\"user_id\":" + std::to_string(userId) + ",\"what\":" + jsonString(what) +
                              ",\"original\":" + std::to_string(original) + ",\"target\":" + std::to_string(target) +
                              "}");
    };
    Rows t = host_.query("SELECT xp FROM user_totals WHERE user_id = $1", {userId});
    differ("total", u["total"].GetInt64(), t.empty() ? 0 : t[0].i64(0));
    auto figures = [&](const char* key, const char* sql, const char* label) {
      std::map<int64_t, int64_t> target;
      Rows r = host_.query(sql, {userId});
      for (size_t i = 0; i < r.size(); ++i) target[r[i].i64(0)] = r[i].i64(1);
      std::map<int64_t, int64_t> original;
      if (u.HasMember(key) && u[key].IsObject())
        for (const auto& m : u[key].GetObject())
          if (m.value.IsInt64()) original[std::stoll(m.name.GetString())] = m.value.GetInt64();
      for (const auto& [id, xp] : original) differ(std::string(label) + " " + std::to_string(id), xp, target[id]);
      for (const auto& [id, xp] : target)
        if (!original.count(id) && xp != 0) differ(std::string(label) + " " + std::to_string(id), 0, xp);
    };
    figures("languages", "SELECT language_id, xp FROM user_language_xps WHERE user_id = $1", "language");
    figures("machines", "SELECT machine_id, xp FROM user_machine_xps WHERE user_id = $1", "machine");
  }
  return "{\"users\":" + std::to_string(users) + ",\"differences\":" + list(differences) + "}\n";
}

}  // namespace codestats::ingest
