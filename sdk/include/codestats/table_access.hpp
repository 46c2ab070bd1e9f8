// The table-ownership rules (docs/data-ownership.md), shared by the host and the SDK's fake
// host (codestats/testing/fake_host.hpp) so both decide and word refusals identically.
// Header-only, no dependencies; not part of the C ABI.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codestats::access {

enum class TableUse { Read, Write, Schema };  // Schema: create, alter, drop, index, lock

// One table a statement touches.
struct TableTouch {
  std::string table;  // lower case; "schema.table" outside the connection's own schema
  TableUse use = TableUse::Read;
  bool catalog = false;  // sqlite_*, pg_catalog, information_schema
};

// What one statement touches.
struct StatementAccess {
  std::vector<TableTouch> tables;
  std::string unsupported;  // non-empty: a statement kind the check cannot vouch for ("ATTACH")
};

inline std::string unsupportedMessage(const std::string& module, const std::string& what) {
  return "module " + module + " may not run " + what + " (the host cannot tell which tables it touches)";
}

// Why `module` may not touch `t`. owner: the table's owner ("" for none, "host" for the
// host's own); contracts: the read contracts that list the table ("ingest.xp v1, ...").
inline std::string denialMessage(const std::string& module, const TableTouch& t, const std::string& owner,
                                 const std::string& contracts) {
  const char* verb = t.use == TableUse::Read ? "read" : t.use == TableUse::Write ? "write" : "alter";
  std::string msg = "module " + module + " may not " + verb + " table " + t.table;
  if (owner.empty()) return msg + ": no module owns it";
  if (owner == "host") return msg + ": it is the host's";
  if (t.use != TableUse::Read) return msg + ": it is owned by " + owner + " (write through its service)";
  return msg + ": it is owned by " + owner +
         (contracts.empty() ? std::string(" and in no read contract")
                            : " and " + module + " does not use " + contracts);
}

struct ContractRef {
  std::string name;  // "<owner module>.<name>", e.g. "ingest.xp"
  uint32_t version = 0;
};
struct Contract {
  std::string name;
  uint32_t version = 0;
  std::vector<std::string> tables;
};

// What one module generation declared (db_own_table, db_publish, db_use).
struct Declaration {
  bool checked = false;  // false: built before ABI 1.4; its statements are not checked
  std::vector<std::string> owns;
  std::vector<Contract> publishes;
  std::vector<ContractRef> uses;
  bool ownsTable(std::string_view table) const { return std::find(owns.begin(), owns.end(), table) != owns.end(); }
};

// What is known of every module's tables: owners, published contracts, and the contracts
// the loaded modules use. Not synchronised: the owner of a Rules locks around it.
struct Rules {
  struct Published {
    std::string module;
    std::vector<std::string> tables;
  };
  std::map<std::string, std::string> owners;                        // table -> module ("host" for the host's)
  std::map<std::pair<std::string, uint32_t>, Published> contracts;  // (name, version) -> tables
  std::map<std::string, std::vector<ContractRef>> inUse;            // loaded module -> contracts it uses

  static std::string ownerModule(const std::string& contract) { return contract.substr(0, contract.find('.')); }

  // Whether `module` may load with `d`; "" when it may, else the reason.
  std::string checkLoad(const std::string& module, const Declaration& d) const {
    if (!d.checked) return "";
    for (const auto& t : d.owns) {
      auto it = owners.find(t);
      if (it != owners.end() && it->second != module)
        return "table " + t + " is owned by " + (it->second == "host" ? std::string("the host") : it->second);
    }
    for (const auto& c : d.publishes) {
      if (ownerModule(c.name) != module || c.name.size() <= module.size() + 1)
        return "contract " + c.name + " must be named " + module + ".<name>";
      for (const auto& t : c.tables)
        if (!d.ownsTable(t))
          return "contract " + c.name + " v" + std::to_string(c.version) + " lists table " + t + ", which " + module +
                 " does not own";
    }
    for (const auto& u : d.uses) {
      const std::string owner = ownerModule(u.name);
      if (owner == module) continue;
      std::string published;
      bool found = false;
      for (const auto& [key, pub] : contracts) {
        if (pub.module != owner) continue;
        published += (published.empty() ? "" : ", ") + key.first + " v" + std::to_string(key.second);
        found = found || (key.first == u.name && key.second == u.version);
      }
      if (!published.empty() && !found)
        return module + " uses " + u.name + " v" + std::to_string(u.version) + ", which " + owner +
               " does not publish (it publishes " + published + ")";
    }
    for (const auto& [user, refs] : inUse) {
      if (user == module) continue;
      for (const auto& r : refs) {
        if (ownerModule(r.name) != module) continue;
        bool kept = std::any_of(d.publishes.begin(), d.publishes.end(),
                                [&](const Contract& c) { return c.name == r.name && c.version == r.version; });
        if (!kept)
          return user + " uses " + r.name + " v" + std::to_string(r.version) + ", which this build of " + module +
                 " does not publish";
      }
    }
    return "";
  }

  // Records `module`'s tables (once) and replaces its published contracts.
  void record(const std::string& module, const Declaration& d) {
    if (!d.checked) return;
    for (const auto& t : d.owns) owners.emplace(t, module);
    for (auto it = contracts.begin(); it != contracts.end();)
      it = it->second.module == module ? contracts.erase(it) : std::next(it);
    for (const auto& c : d.publishes) contracts[{c.name, c.version}] = Published{module, c.tables};
  }

  bool readable(const Declaration& d, const std::string& table) const {
    for (const auto& u : d.uses) {
      auto it = contracts.find({u.name, u.version});
      if (it != contracts.end() &&
          std::find(it->second.tables.begin(), it->second.tables.end(), table) != it->second.tables.end())
        return true;
    }
    return false;
  }

  // Why `module` may not run a statement that touches `access`; "" when it may.
  std::string denial(const std::string& module, const Declaration& d, const StatementAccess& access) const {
    if (!d.checked) return "";
    if (!access.unsupported.empty()) return unsupportedMessage(module, access.unsupported);
    for (const TableTouch& t : access.tables) {
      if (t.catalog) {
        if (t.use == TableUse::Read) continue;
        return "module " + module + " may not change the catalog table " + t.table;
      }
      if (d.ownsTable(t.table)) continue;
      if (t.use == TableUse::Read && readable(d, t.table)) continue;
      auto it = owners.find(t.table);
      std::string in;
      for (const auto& [key, pub] : contracts)
        if (std::find(pub.tables.begin(), pub.tables.end(), t.table) != pub.tables.end())
          in += (in.empty() ? "" : ", ") + key.first + " v" + std::to_string(key.second);
      return denialMessage(module, t, it == owners.end() ? "" : it->second, in);
    }
    return "";
  }
};

}  // namespace codestats::access
