// What SQLite's authorizer reports, as table touches (codestats/table_access.hpp): the host
// and the fake host install an authorizer that calls this while a statement is prepared.
// Needs <sqlite3.h>. Header-only; not part of the C ABI.
#pragma once

#include <sqlite3.h>

#include <cctype>
#include <string>

#include "codestats/table_access.hpp"

namespace codestats::access {

inline std::string lowerName(const char* s) {
  std::string out = s ? s : "";
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Records the table an authorizer action is about (arguments as sqlite3_set_authorizer's).
inline void noteSqliteAction(StatementAccess& out, int action, const char* a, const char* b) {
  auto touch = [&](const char* table, TableUse use) {
    if (!table) return;
    std::string t = lowerName(table);
    const bool catalog = t.rfind("sqlite_", 0) == 0;
    // DDL writes sqlite_schema, AUTOINCREMENT sqlite_sequence: SQLite's own bookkeeping of
    // what the statement does to the tables it names (and writable_schema is refused).
    if (catalog && use != TableUse::Read) return;
    out.tables.push_back({std::move(t), use, catalog});
  };
  switch (action) {
    case SQLITE_READ: touch(a, TableUse::Read); break;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE: touch(a, TableUse::Write); break;
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE: touch(a, TableUse::Schema); break;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_ALTER_TABLE: touch(b, TableUse::Schema); break;
    case SQLITE_ANALYZE:
      if (a) touch(a, TableUse::Schema);
      else out.unsupported = "ANALYZE of every table";
      break;
    case SQLITE_PRAGMA: {
      // Only pragmas that describe one table; the others change the connection the host
      // shares between modules.
      const std::string name = lowerName(a);
      if ((name == "table_info" || name == "table_xinfo" || name == "index_list" || name == "foreign_key_list") && b)
        touch(b, TableUse::Read);
      else out.unsupported = "PRAGMA " + name;
      break;
    }
    case SQLITE_ATTACH:
    case SQLITE_DETACH: out.unsupported = "ATTACH and DETACH"; break;
    default: break;  // SELECT, FUNCTION, TRANSACTION, SAVEPOINT, RECURSIVE, REINDEX (CREATE INDEX asks for it)
  }
}

}  // namespace codestats::access
