// A batch's rows as a table `v` of one statement ("WITH v AS (...) <statement>"), so that a
// batch of web.import-accounts is a few statements whatever its size (a statement per row
// made PostgreSQL's cost a round trip per row).
//   PostgreSQL: one JSON parameter read by json_to_recordset, one statement.
//   SQLite: multi-row VALUES in chunks of 64, 16, 4 and 1 rows, so that only four texts per
//   statement reach the prepared-statement cache (in process, a statement costs little; its
//   json_each is a table to the host's ownership check, which no module owns).
#pragma once

#include <codestats/sdk.hpp>

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace codestats::web {

class BatchTable {
 public:
  struct Column {
    const char* name;
    const char* type;  // PostgreSQL's (BIGINT, INTEGER, TEXT); SQLite takes the values' own
  };
  using Query = std::function<Rows(const std::string& sql, const std::vector<Param>& params)>;

  BatchTable(std::initializer_list<Column> columns) : columns_(columns) {}
  // One row, a value per column. Text values are borrowed (Param): they must outlive run().
  void add(std::vector<Param> row);
  bool empty() const { return values_.empty(); }
  // Runs "WITH v (columns) AS (the rows) <statement>". `statement` uses $1..$N for
  // `params`; the rows take the numbers after them. `each` sees every result row.
  void run(const Query& query, bool postgres, const std::string& statement, const std::vector<Param>& params,
           const std::function<void(const Row&)>& each = {}) const;

 private:
  std::string postgresRows(size_t firstParam) const;
  std::string sqliteRows(size_t firstParam, size_t rows) const;
  std::string json() const;

  std::vector<Column> columns_;
  std::vector<Param> values_;  // row after row
};

}  // namespace codestats::web
