// Query parameters and a query shorthand for the host's DB tests: I(42), T("text"),
// R(1.5), B(bytes), N() (NULL), q(conn, sql, {params}).
#pragma once

#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace codestats::host::db::test {

inline cs_value I(int64_t i) {
  cs_value v{};
  v.type = CS_VAL_INT;
  v.i = i;
  return v;
}
inline cs_value R(double d) {
  cs_value v{};
  v.type = CS_VAL_REAL;
  v.d = d;
  return v;
}
inline cs_value T(std::string_view s) {
  cs_value v{};
  v.type = CS_VAL_TEXT;
  v.s = {s.data(), s.size()};
  return v;
}
inline cs_value B(std::string_view s) {
  cs_value v{};
  v.type = CS_VAL_BLOB;
  v.s = {s.data(), s.size()};
  return v;
}
inline cs_value N() { return cs_value{}; }

inline ResultSet q(Connection& c, std::string_view sql, std::vector<cs_value> params = {}) {
  return c.query(sql, params.data(), params.size());
}

}  // namespace codestats::host::db::test
