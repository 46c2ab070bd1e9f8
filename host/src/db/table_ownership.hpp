// Which module owns which table, and who may read what (docs/data-ownership.md).
//
// A module (ABI 1.4 or later) declares the tables it owns, the read contracts it publishes
// ("ingest.xp" version 1: a list of its tables others may read) and the contracts it uses.
// Every statement it runs is checked against that: its own tables for anything, the tables
// of the contracts it uses for reading, the catalogs for reading, nothing else. Owners and
// published contracts are recorded in the database (host tables), so they hold while the
// owner is not loaded; the contracts in use are known for the loaded modules only.
#pragma once

#include "db/database.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace codestats::host::db {

// The declarations and the rules are the SDK's (codestats/table_access.hpp): the fake host
// applies the same ones.
using ContractRef = codestats::access::ContractRef;
using Contract = codestats::access::Contract;
using DataDeclaration = codestats::access::Declaration;

// The rules for names in a declaration: tables [a-z_][a-z0-9_]* (at most 63 bytes),
// contracts "<module>.<name>" of the same characters.
bool validTableName(std::string_view name);
bool validContractName(std::string_view name);

class TableOwnership {
 public:
  // Creates the host's registry tables if missing and reads them.
  void open(Pool& pool);

  // Whether `module` may load with `d`: its tables are not another module's, its
  // contracts are its own tables, the contracts it uses are published by their owners
  // (when the owner ever recorded any), and the contracts loaded modules use from it are
  // still published. "" when it may, else the reason.
  std::string checkLoad(const std::string& module, const DataDeclaration& d) const;

  // On activation: records the owned tables and replaces the published contracts of
  // `module` (database and memory), and notes the contracts it uses.
  void activate(Pool& pool, const std::string& module, const DataDeclaration& d);
  // On unload: forgets the contracts it used (its tables and contracts stay recorded).
  void deactivate(const std::string& module);

  // Why `module` may not run a statement that touches `access`; "" when it may.
  std::string denial(const std::string& module, const DataDeclaration& d, const StatementAccess& access) const;

  // Grows with every change above; cached verdicts of an older epoch are stale.
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

  std::string ownerOf(const std::string& table) const;

 private:
  mutable std::shared_mutex mu_;
  codestats::access::Rules rules_;
  std::atomic<uint64_t> epoch_{1};
};

// The verdicts of one generation's statements, by SQL text, valid for one epoch.
class AccessVerdicts {
 public:
  // True with the cached denial ("" = allowed) in `denial`; false when unknown or stale.
  bool find(std::string_view sql, uint64_t epoch, std::string& denial) const;
  void put(std::string_view sql, uint64_t epoch, std::string denial);

 private:
  static constexpr size_t kMaxEntries = 4096;  // SQL built per batch size stays far below
  mutable std::shared_mutex mu_;
  uint64_t epoch_ = 0;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> verdicts_;
};

}  // namespace codestats::host::db
