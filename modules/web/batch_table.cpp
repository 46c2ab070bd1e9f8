#include "batch_table.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace codestats::web {

void BatchTable::add(std::vector<Param> row) {
  if (row.size() != columns_.size()) throw Error(CS_E_INVALID, "BatchTable: a row of another width");
  for (Param& v : row) values_.push_back(std::move(v));
}

std::string BatchTable::postgresRows(size_t firstParam) const {
  std::string sql =
      "WITH v AS (SELECT * FROM json_to_recordset(CAST($" + std::to_string(firstParam) + " AS JSON)) AS r(";
  for (size_t c = 0; c < columns_.size(); ++c)
    sql += (c ? ", " : "") + std::string(columns_[c].name) + " " + columns_[c].type;
  return sql + ")) ";
}

std::string BatchTable::sqliteRows(size_t firstParam, size_t rows) const {
  std::string sql = "WITH v (";
  for (size_t c = 0; c < columns_.size(); ++c) sql += (c ? ", " : "") + std::string(columns_[c].name);
  sql += ") AS (VALUES ";
  size_t n = firstParam;
  for (size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (size_t c = 0; c < columns_.size(); ++c) sql += (c ? ", $" : "$") + std::to_string(n++);
    sql += ")";
  }
  return sql + ") ";
}

// [{"column":value,...},...]: json_to_recordset matches the keys to its column list.
std::string BatchTable::json() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  for (size_t i = 0; i < values_.size(); i += columns_.size()) {
    w.StartObject();
    for (size_t c = 0; c < columns_.size(); ++c) {
      const cs_value& v = values_[i + c].raw();
      w.Key(columns_[c].name);
      switch (v.type) {
        case CS_VAL_INT: w.Int64(v.i); break;
        case CS_VAL_REAL: w.Double(v.d); break;
        case CS_VAL_TEXT: w.String(v.s.ptr, static_cast<rapidjson::SizeType>(v.s.len)); break;
        case CS_VAL_NULL: w.Null(); break;
        default: throw Error(CS_E_INVALID, "BatchTable: a blob has no JSON form");
      }
    }
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

void BatchTable::run(const Query& query, bool postgres, const std::string& statement, const std::vector<Param>& params,
                     const std::function<void(const Row&)>& each) const {
  auto collect = [&](const Rows& r) {
    if (each)
      for (size_t i = 0; i < r.size(); ++i) each(r[i]);
  };
  if (values_.empty()) return;
  if (postgres) {
    const std::string rows = json();
    std::vector<Param> all = params;
    all.emplace_back(rows);
    collect(query(postgresRows(params.size() + 1) + statement, all));
    return;
  }
  const size_t width = columns_.size(), total = values_.size() / width;
  size_t done = 0;
  std::vector<Param> all;
  for (size_t chunk : {size_t(64), size_t(16), size_t(4), size_t(1)}) {
    while (total - done >= chunk) {
      all = params;
      all.insert(all.end(), values_.begin() + static_cast<std::ptrdiff_t>(done * width),
                 values_.begin() + static_cast<std::ptrdiff_t>((done + chunk) * width));
      collect(query(sqliteRows(params.size() + 1, chunk) + statement, all));
      done += chunk;
    }
  }
}

}  // namespace codestats::web
