// Lexical help for SQL the host has to look into without a database parser: splitting a
// migration script into statements, and naming the tables a PostgreSQL statement that
// EXPLAIN cannot take (DDL, LOCK, TRUNCATE) acts on. Used by the table-ownership check
// (docs/data-ownership.md); pure code, no database.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace codestats::host::db::sqltext {

// The statements of a script, split at top-level semicolons; quotes ('', ""), dollar
// quotes ($tag$...$tag$) and comments (--, /* */) are skipped over. Blank statements and
// statements of only comments are dropped; each piece keeps its comments.
std::vector<std::string_view> splitStatements(std::string_view script);

// The first keyword, upper case ("" for none).
std::string firstKeyword(std::string_view statement);

// What a PostgreSQL DDL-like statement names, from its tokens.
struct DdlTargets {
  bool recognised = false;           // false: a statement kind this reader does not know
  std::vector<std::string> tables;   // tables (or views) the statement creates, alters, drops, locks or truncates
  std::vector<std::string> indexes;  // indexes named by DROP/ALTER INDEX (their tables are looked up)
  std::string_view query;            // CREATE VIEW ... AS <query>: the query, to be checked as a read
};
// Identifiers come back lower case unless quoted; a qualified name keeps its schema ("s.t").
// ANALYZE counts among them (statistics of named tables).
DdlTargets ddlTargets(std::string_view statement);

}  // namespace codestats::host::db::sqltext
