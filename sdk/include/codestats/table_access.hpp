// The table-ownership rules' vocabulary (docs/data-ownership.md), shared by the host and
// the SDK's fake host (codestats/testing/fake_host.hpp) so both describe statements and word
// their refusals identically. Header-only, no dependencies; not part of the C ABI.
#pragma once

#include <string>
#include <vector>

namespace codestats::access {

enum class TableUse { Read, Write, Schema };  // Schema: create, alter, drop, index, lock

// One table a statement touches.
struct TableTouch {
  std::string table;     // lower case; "schema.table" outside the connection's own schema
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
         (contracts.empty() ? std::string(" and in no read contract") : " and " + module + " does not use " + contracts);
}

}  // namespace codestats::access
