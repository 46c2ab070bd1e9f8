#include "db/table_ownership.hpp"

#include "db/host_statements.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace codestats::host::db {
namespace {

constexpr const char* kHost = "host";
// The host's own tables: no module may write them.
constexpr const char* kHostTables[] = {"codestats_migrations", "codestats_table_owners",  "codestats_read_contracts",
                                       "codestats_events",     "codestats_event_cursors", "codestats_event_trim"};
// What modules may read of them: the event log, for the log position of a snapshot
// (docs/events.md).
constexpr const char* kEventsContract = "host.events";

constexpr const char* kCreateOwners =
    "CREATE TABLE IF NOT EXISTS codestats_table_owners (table_name TEXT PRIMARY KEY, module TEXT NOT NULL, "
    "recorded_at BIGINT NOT NULL)";
constexpr const char* kCreateContracts =
    "CREATE TABLE IF NOT EXISTS codestats_read_contracts (contract TEXT NOT NULL, version BIGINT NOT NULL, "
    "module TEXT NOT NULL, tables TEXT NOT NULL, recorded_at BIGINT NOT NULL, PRIMARY KEY (contract, version))";

bool nameChars(std::string_view s) {
  if (s.empty() || s.size() > 63 || !(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  for (size_t start = 0; start <= s.size();) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

bool validTableName(std::string_view name) { return nameChars(name); }

bool validContractName(std::string_view name) {
  size_t dot = name.find('.');
  return dot != std::string_view::npos && nameChars(name.substr(0, dot)) && nameChars(name.substr(dot + 1));
}

void TableOwnership::open(Pool& pool) {
  auto conn = pool.acquire();
  {
    Transaction tx(*conn);
    if (pool.backend() == Backend::Postgres) conn->query(kSchemaLockSql, nullptr, 0);
    conn->execScript(kCreateOwners);
    conn->execScript(kCreateContracts);
    tx.commit();
  }
  ResultSet owners = conn->query("SELECT table_name, module FROM codestats_table_owners", nullptr, 0);
  ResultSet contracts =
      conn->query("SELECT contract, version, module, tables FROM codestats_read_contracts", nullptr, 0);
  std::unique_lock lock(mu_);
  for (const char* t : kHostTables) rules_.owners[t] = kHost;
  rules_.contracts[{kEventsContract, 2}] = codestats::access::Rules::Published{kHost, {"codestats_events"}};
  for (size_t r = 0; r < owners.rows(); ++r) rules_.owners.emplace(owners.at(r, 0).s, owners.at(r, 1).s);
  for (size_t r = 0; r < contracts.rows(); ++r)
    rules_.contracts[{contracts.at(r, 0).s, static_cast<uint32_t>(contracts.at(r, 1).i)}] =
        codestats::access::Rules::Published{contracts.at(r, 2).s, splitList(contracts.at(r, 3).s)};
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

std::string TableOwnership::checkLoad(const std::string& module, const DataDeclaration& d) const {
  std::shared_lock lock(mu_);
  return rules_.checkLoad(module, d);
}

void TableOwnership::activate(Pool& pool, const std::string& module, const DataDeclaration& d) {
  if (d.checked) {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto conn = pool.acquireWriter();
    Transaction tx(*conn);
    for (const auto& t : d.owns) {
      const cs_value p[] = {textValue(t), textValue(module), intValue(now)};
      conn->query(
          "INSERT INTO codestats_table_owners (table_name, module, recorded_at) VALUES ($1, $2, $3) "
          "ON CONFLICT (table_name) DO NOTHING",
          p, 3);
    }
    const cs_value m[] = {textValue(module)};
    conn->query("DELETE FROM codestats_read_contracts WHERE module = $1", m, 1);
    for (const auto& c : d.publishes) {
      const std::string tables = joined(c.tables);
      const cs_value p[] = {textValue(c.name), intValue(c.version), textValue(module), textValue(tables),
                            intValue(now)};
      conn->query(
          "INSERT INTO codestats_read_contracts (contract, version, module, tables, recorded_at) "
          "VALUES ($1, $2, $3, $4, $5)",
          p, 5);
    }
    tx.commit();
  }
  std::unique_lock lock(mu_);
  rules_.record(module, d);
  rules_.inUse[module] = d.uses;
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

void TableOwnership::deactivate(const std::string& module) {
  std::unique_lock lock(mu_);
  rules_.inUse.erase(module);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

std::string TableOwnership::ownerOf(const std::string& table) const {
  std::shared_lock lock(mu_);
  auto it = rules_.owners.find(table);
  return it == rules_.owners.end() ? "" : it->second;
}

std::string TableOwnership::denial(const std::string& module, const DataDeclaration& d,
                                   const StatementAccess& access) const {
  std::shared_lock lock(mu_);
  return rules_.denial(module, d, access);
}

bool AccessVerdicts::find(std::string_view sql, uint64_t epoch, std::string& denial) const {
  std::shared_lock lock(mu_);
  if (epoch != epoch_) return false;
  auto it = verdicts_.find(sql);
  if (it == verdicts_.end()) return false;
  denial = it->second;
  return true;
}

void AccessVerdicts::put(std::string_view sql, uint64_t epoch, std::string denial) {
  std::unique_lock lock(mu_);
  if (epoch < epoch_) return;  // decided under rules that changed since
  if (epoch > epoch_ || verdicts_.size() >= kMaxEntries) {
    verdicts_.clear();
    epoch_ = epoch;
  }
  verdicts_.emplace(std::string(sql), std::move(denial));
}

}  // namespace codestats::host::db
