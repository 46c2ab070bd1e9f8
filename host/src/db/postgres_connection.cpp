#include "db/postgres_connection.hpp"

#include "db/sql_text.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

namespace codestats::host::db {
namespace {

constexpr size_t kStatementCacheSize = 256;
constexpr int kMaxParams = 65535;  // the protocol's limit

// Type OIDs from pg_type.h (stable across server versions).
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kOid = 26;
constexpr Oid kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

void ignoreNotice(void*, const char*) {}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  // libpq's multi-line messages ("...\n\tIs the server running...") read better on one line.
  for (size_t pos; (pos = s.find("\n\t")) != std::string::npos;) s.replace(pos, 2, " ");
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s;
}

bool isIdentChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

// Which $N the SQL uses, skipping literals, quoted identifiers, comments and
// dollar-quoted bodies. PostgreSQL cannot infer a type for a $N the SQL skips (e.g. uses
// $1 and $3 only), so such parameters are declared as text when preparing.
std::vector<bool> scanPlaceholders(std::string_view sql) {
  std::vector<bool> used;  // used[N-1]
  const size_t n = sql.size();
  size_t i = 0;
  while (i < n) {
    const char c = sql[i];
    if (c == '\'') {
      // E'...' strings allow backslash escapes; plain ones only ''.
      const bool escapes = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                           (i < 2 || !isIdentChar(static_cast<unsigned char>(sql[i - 2])));
      for (++i; i < n; ++i) {
        if (escapes && sql[i] == '\\') {
          ++i;
        } else if (sql[i] == '\'') {
          if (i + 1 < n && sql[i + 1] == '\'') {
            ++i;
          } else {
            break;
          }
        }
      }
      ++i;
    } else if (c == '"') {
      for (++i; i < n; ++i) {
        if (sql[i] == '"') {
          if (i + 1 < n && sql[i + 1] == '"') {
            ++i;
          } else {
            break;
          }
        }
      }
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      int depth = 1;  // PostgreSQL block comments nest
      for (i += 2; i < n && depth > 0;) {
        if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
    } else if (c == '$' && i + 1 < n && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      size_t j = i + 1;
      long number = 0;
      while (j < n && std::isdigit(static_cast<unsigned char>(sql[j]))) {
        number = std::min<long>(number * 10 + (sql[j] - '0'), kMaxParams + 1L);
        ++j;
      }
      if (number > kMaxParams)
        throw DbError(DbError::Kind::Generic, "placeholder $" + std::to_string(number) + " too large");
      if (number >= 1) {
        if (used.size() < static_cast<size_t>(number)) used.resize(static_cast<size_t>(number), false);
        used[static_cast<size_t>(number - 1)] = true;
      }
      i = j;
    } else if (c == '$') {
      // $tag$ ... $tag$ (tag empty or an identifier not starting with a digit)
      size_t j = i + 1;
      while (j < n && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_' ||
                       static_cast<unsigned char>(sql[j]) >= 0x80))
        ++j;
      if (j < n && sql[j] == '$') {
        const std::string_view tag = sql.substr(i, j - i + 1);
        const size_t end = sql.find(tag, j + 1);
        i = end == std::string_view::npos ? n : end + tag.size();
      } else {
        ++i;
      }
    } else if (isIdentChar(static_cast<unsigned char>(c))) {
      // Whole words at once: "a$1" is an identifier, not a placeholder.
      while (i < n && isIdentChar(static_cast<unsigned char>(sql[i]))) ++i;
    } else {
      ++i;
    }
  }
  return used;
}

// Quoted fragments of a libpq conninfo parse error that are not option names are
// dropped: a malformed "password secret" would otherwise be echoed back.
std::string sanitizeParseError(const std::string& msg, const std::string& conninfo) {
  std::string out;
  size_t i = 0;
  while (i < msg.size()) {
    const size_t open = msg.find('"', i);
    const size_t close = open == std::string::npos ? std::string::npos : msg.find('"', open + 1);
    if (close == std::string::npos) {
      out.append(msg, i, std::string::npos);
      break;
    }
    const std::string token = msg.substr(open + 1, close - open - 1);
    // Punctuation ("=") is safe to show; a word is shown only if it is an option name.
    bool isKey = std::none_of(token.begin(), token.end(), [](unsigned char ch) { return std::isalnum(ch); });
    for (size_t at = conninfo.find(token); !token.empty() && at != std::string::npos;
         at = conninfo.find(token, at + 1)) {
      size_t k = at + token.size();
      while (k < conninfo.size() && std::isspace(static_cast<unsigned char>(conninfo[k]))) ++k;
      if (k < conninfo.size() && conninfo[k] == '=') isKey = true;
    }
    out.append(msg, i, open - i);
    out += isKey ? "\"" + token + "\"" : std::string("\"***\"");
    i = close + 1;
  }
  return redactConninfo(out);
}

bool ciEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

void appendDouble(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
  } else if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[64];
    // Shortest text that parses back to exactly the same double.
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, end);
  }
}

}  // namespace

std::string redactConninfo(std::string_view text) {
  std::string out(text);
  const bool uri = out.find("://") != std::string::npos;
  // key=value form (and URI query parameters): password=..., sslpassword=...
  for (size_t pos = 0; pos < out.size();) {
    size_t hit = std::string::npos;
    for (size_t k = pos; k + 8 <= out.size(); ++k) {
      if (ciEquals(std::string_view(out).substr(k, 8), "password")) {
        hit = k;
        break;
      }
    }
    if (hit == std::string::npos) break;
    size_t v = hit + 8;
    while (v < out.size() && out[v] == ' ') ++v;
    if (v >= out.size() || out[v] != '=') {
      pos = hit + 8;
      continue;
    }
    ++v;
    while (v < out.size() && out[v] == ' ') ++v;
    size_t end = v;
    if (end < out.size() && out[end] == '\'') {
      for (++end; end < out.size() && out[end] != '\''; ++end)
        if (out[end] == '\\') ++end;
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && !std::isspace(static_cast<unsigned char>(out[end])) && !(uri && out[end] == '&')) {
        if (out[end] == '\\') ++end;
        ++end;
      }
      end = std::min(end, out.size());
    }
    out.replace(v, end - v, "***");
    pos = v + 3;
  }
  // postgresql://user:password@host
  for (size_t scheme = out.find("://"); scheme != std::string::npos; scheme = out.find("://", scheme + 3)) {
    const size_t start = scheme + 3;
    const size_t at = out.find('@', start);
    const size_t slash = out.find_first_of("/? ", start);
    if (at == std::string::npos || (slash != std::string::npos && slash < at)) continue;
    const size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  return out;
}

std::string describeConninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (err) PQfreemem(err);
  if (!opts) return redactConninfo(conninfo);
  std::string out;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val || std::strstr(o->keyword, "password")) continue;
    if (!out.empty()) out += ' ';
    out += o->keyword;
    out += '=';
    const bool quote = *o->val == '\0' || std::strpbrk(o->val, " '\\") != nullptr;
    if (!quote) {
      out += o->val;
      continue;
    }
    out += '\'';
    for (const char* p = o->val; *p; ++p) {
      if (*p == '\'' || *p == '\\') out += '\\';
      out += *p;
    }
    out += '\'';
  }
  PQconninfoFree(opts);
  return out;
}

void PostgresConnection::ResultDeleter::operator()(PGresult* r) const { PQclear(r); }

PostgresConnection::PostgresConnection(PGconn* conn) : conn_(conn), cache_(kStatementCacheSize) {}

PostgresConnection::~PostgresConnection() { PQfinish(conn_); }

std::unique_ptr<PostgresConnection> PostgresConnection::open(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    std::string msg = err ? trimmed(err) : "out of memory";
    if (err) PQfreemem(err);
    throw DbError(DbError::Kind::Connection, "invalid PostgreSQL conninfo: " + sanitizeParseError(msg, conninfo));
  }
  // Connect with the parsed options rather than by appending text, so a URI conninfo or
  // a value with quotes works too. Defaults we add only where the caller set nothing.
  std::vector<std::pair<std::string, std::string>> params;
  for (PQconninfoOption* o = opts; o->keyword; ++o)
    if (o->val) params.emplace_back(o->keyword, o->val);
  PQconninfoFree(opts);
  auto setDefault = [&params](const char* key, const char* value) {
    for (auto& [k, v] : params)
      if (k == key) return;
    params.emplace_back(key, value);
  };
  setDefault("options", "-cTimeZone=UTC");  // timestamptz text is then unambiguous
  setDefault("client_encoding", "UTF8");    // TEXT values are UTF-8 on both backends
  setDefault("connect_timeout", "10");      // a black-holed host must not hang startup
  setDefault("fallback_application_name", "codestatsd");
  std::vector<const char*> keys, values;
  for (auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (!conn) throw DbError(DbError::Kind::Connection, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    throw DbError(DbError::Kind::Connection,
                  "cannot connect to PostgreSQL (" + describeConninfo(conninfo) + "): " + redactConninfo(msg));
  }
  // libpq prints NOTICEs (e.g. from DROP ... IF EXISTS) to stderr by default.
  PQsetNoticeProcessor(conn, ignoreNotice, nullptr);
  return std::unique_ptr<PostgresConnection>(new PostgresConnection(conn));
}

void PostgresConnection::fail(const PGresult* res) {
  std::string sqlstate, msg;
  if (res) {
    if (const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE)) sqlstate = s;
    if (const char* s = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) msg = s;
    if (const char* s = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) msg += std::string(" (") + s + ")";
  }
  if (msg.empty()) msg = trimmed(PQerrorMessage(conn_));
  if (msg.empty()) msg = "unknown error";
  if (PQstatus(conn_) != CONNECTION_OK)
    throw DbError(DbError::Kind::Connection, "PostgreSQL connection lost: " + redactConninfo(msg));
  if (sqlstate == "23505") throw DbError(DbError::Kind::Conflict, msg);
  throw DbError(DbError::Kind::Generic, msg);
}

PostgresConnection::Result PostgresConnection::simple(const char* sql) {
  Result r(PQexec(conn_, sql));
  const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) fail(r.get());
  return r;
}

void PostgresConnection::deallocate(const std::string& name) {
  if (PQstatus(conn_) != CONNECTION_OK) return;
  Result r(PQexec(conn_, ("DEALLOCATE " + name).c_str()));  // failure only leaks a name
}

PostgresConnection::Prepared& PostgresConnection::prepared(std::string_view sql) {
  if (Prepared* hit = cache_.find(sql)) return *hit;

  const std::vector<bool> used = scanPlaceholders(sql);
  std::vector<Oid> types(used.size(), 0);  // 0: let the server infer
  for (size_t k = 0; k < used.size(); ++k)
    if (!used[k]) types[k] = kText;

  std::string text(sql);  // NUL-terminated for libpq, then the cache key
  Prepared p{"s" + std::to_string(nextStatement_++), static_cast<int>(used.size())};
  Result r(PQprepare(conn_, p.name.c_str(), text.c_str(), p.paramCount, types.empty() ? nullptr : types.data()));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(r.get());  // nothing cached

  Prepared& entry = cache_.insert(std::move(text), std::move(p));
  if (cache_.overCapacity()) deallocate(cache_.takeOldest().name);
  return entry;
}

PostgresConnection::Result PostgresConnection::execPrepared(const Prepared& p, const cs_value* params) {
  const size_t count = static_cast<size_t>(p.paramCount);
  textParams_.clear();
  values_.assign(count, nullptr);
  lengths_.assign(count, 0);
  formats_.assign(count, 0);
  offsets_.assign(count, std::string::npos);

  // Text-format values go into one buffer first (it may reallocate), pointers after.
  for (size_t k = 0; k < count; ++k) {
    const cs_value& v = params[k];
    switch (v.type) {
      case CS_VAL_NULL: break;
      case CS_VAL_INT: {
        offsets_[k] = textParams_.size();
        char buf[24];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.i);
        textParams_.append(buf, end);
        textParams_ += '\0';
        break;
      }
      case CS_VAL_REAL:
        offsets_[k] = textParams_.size();
        appendDouble(textParams_, v.d);
        textParams_ += '\0';
        break;
      case CS_VAL_TEXT:
        if (v.s.len > 0 && std::memchr(v.s.ptr, 0, v.s.len) != nullptr)
          throw DbError(DbError::Kind::Generic, "text parameter $" + std::to_string(k + 1) +
                                                    " contains a NUL byte (PostgreSQL text cannot; use a blob)");
        offsets_[k] = textParams_.size();
        if (v.s.len > 0) textParams_.append(v.s.ptr, v.s.len);
        textParams_ += '\0';
        break;
      case CS_VAL_BLOB:
        if (v.s.len > static_cast<size_t>(std::numeric_limits<int>::max()))
          throw DbError(DbError::Kind::Generic, "blob parameter $" + std::to_string(k + 1) + " too large");
        values_[k] = v.s.ptr ? v.s.ptr : "";
        lengths_[k] = static_cast<int>(v.s.len);
        formats_[k] = 1;  // binary: no escaping, NUL bytes allowed
        break;
      default:
        throw DbError(DbError::Kind::Generic,
                      "parameter $" + std::to_string(k + 1) + " has unknown type " + std::to_string(v.type));
    }
  }
  for (size_t k = 0; k < count; ++k)
    if (offsets_[k] != std::string::npos) values_[k] = textParams_.data() + offsets_[k];

  return Result(PQexecPrepared(conn_, p.name.c_str(), p.paramCount, values_.data(), lengths_.data(), formats_.data(),
                               0 /* text results */));
}

ResultSet PostgresConnection::query(std::string_view sql, const cs_value* params, size_t n) {
  if (n > 0 && params == nullptr) throw DbError(DbError::Kind::Generic, "parameters missing");
  const bool idleBefore = PQtransactionStatus(conn_) == PQTRANS_IDLE;
  Result r;
  for (int attempt = 0;; ++attempt) {
    Prepared& p = prepared(sql);
    if (static_cast<size_t>(p.paramCount) > n) {
      throw DbError(DbError::Kind::Generic, "SQL uses $" + std::to_string(p.paramCount) + " but only " +
                                                std::to_string(n) + " parameters were given");
    }
    r = execPrepared(p, params);
    const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) break;

    if (PQstatus(conn_) != CONNECTION_OK) {
      cache_.take(sql);  // the server-side statement died with the session
      fail(r.get());
    }
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    // 26000: the statement is gone (DEALLOCATE ALL / DISCARD ALL in a script).
    // 0A000: "cached plan must not change result type" after a schema change.
    // Both are cured by preparing again; retry once when no transaction was aborted by it.
    if (state && (std::strcmp(state, "26000") == 0 || std::strcmp(state, "0A000") == 0)) {
      auto stale = cache_.take(sql);
      const bool idleNow = PQtransactionStatus(conn_) == PQTRANS_IDLE;
      if (stale && idleNow) deallocate(stale->name);
      if (idleBefore && idleNow && attempt == 0) continue;
    }
    fail(r.get());
  }

  const PGresult* res = r.get();
  ResultSet rs;
  const int cols = PQnfields(res);
  const int rows = PQntuples(res);
  rs.columns.reserve(static_cast<size_t>(cols));
  std::vector<Oid> types(static_cast<size_t>(cols));
  for (int c = 0; c < cols; ++c) {
    rs.columns.emplace_back(PQfname(res, c));
    types[static_cast<size_t>(c)] = PQftype(res, c);
  }
  rs.cells.resize(static_cast<size_t>(rows) * static_cast<size_t>(cols));
  for (int row = 0; row < rows; ++row) {
    for (int c = 0; c < cols; ++c) {
      Value& out = rs.cells[static_cast<size_t>(row) * static_cast<size_t>(cols) + static_cast<size_t>(c)];
      if (PQgetisnull(res, row, c)) continue;  // Value defaults to CS_VAL_NULL
      const char* text = PQgetvalue(res, row, c);
      const size_t len = static_cast<size_t>(PQgetlength(res, row, c));
      switch (types[static_cast<size_t>(c)]) {
        case kInt2:
        case kInt4:
        case kInt8:
        case kOid: {
          out.type = CS_VAL_INT;
          auto [p, ec] = std::from_chars(text, text + len, out.i);
          if (ec != std::errc())
            throw DbError(DbError::Kind::Generic, "unparsable integer '" + std::string(text, len) + "'");
          break;
        }
        case kFloat4:
        case kFloat8:
        case kNumeric: {
          out.type = CS_VAL_REAL;
          auto [p, ec] = std::from_chars(text, text + len, out.d);
          if (ec != std::errc()) out.d = std::strtod(text, nullptr);  // out of double range: +-HUGE_VAL
          break;
        }
        case kBool:
          out.type = CS_VAL_INT;
          out.i = text[0] == 't' ? 1 : 0;
          break;
        case kBytea: {
          out.type = CS_VAL_BLOB;
          size_t blen = 0;
          unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &blen);
          if (!bytes) throw DbError(DbError::Kind::Generic, "cannot decode bytea value");
          out.s.assign(reinterpret_cast<const char*>(bytes), blen);
          PQfreemem(bytes);
          break;
        }
        default:
          out.type = CS_VAL_TEXT;
          out.s.assign(text, len);
          break;
      }
    }
  }
  // PQcmdTuples also counts SELECT rows; `affected` means rows changed, as on SQLite.
  const char* tag = PQcmdStatus(r.get());
  if (std::strncmp(tag, "INSERT", 6) == 0 || std::strncmp(tag, "UPDATE", 6) == 0 ||
      std::strncmp(tag, "DELETE", 6) == 0 || std::strncmp(tag, "MERGE", 5) == 0) {
    const char* count = PQcmdTuples(r.get());
    std::from_chars(count, count + std::strlen(count), rs.affected);
  }
  return rs;
}

void PostgresConnection::execScript(std::string_view sql) {
  const std::string script(sql);
  simple(script.c_str());  // PQexec runs every statement of a multi-statement string
}

// ---- table access (docs/data-ownership.md) ----

const std::string& PostgresConnection::currentSchema() {
  if (currentSchema_.empty()) {
    Result r = simple("SELECT current_schema()");
    currentSchema_ = PQntuples(r.get()) == 1 && !PQgetisnull(r.get(), 0, 0) ? PQgetvalue(r.get(), 0, 0) : "public";
  }
  return currentSchema_;
}

TableTouch PostgresConnection::touch(std::string name, TableUse use) {
  std::string schema;
  if (size_t dot = name.find('.'); dot != std::string::npos) {
    schema = name.substr(0, dot);
    name = name.substr(dot + 1);
  }
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool catalog = schema == "pg_catalog" || schema == "information_schema" || name.rfind("pg_", 0) == 0;
  if (!schema.empty() && schema != currentSchema() && !catalog) name = schema + "." + name;
  return {name, use, catalog};
}

namespace {

// Every relation a plan reads, and the target of each ModifyTable node.
void walkPlan(const Poco::JSON::Object::Ptr& node, std::vector<std::pair<std::string, bool>>& out) {
  if (!node) return;
  const std::string relation = node->optValue<std::string>("Relation Name", "");
  if (!relation.empty()) {
    const std::string schema = node->optValue<std::string>("Schema", "");
    const bool write = node->optValue<std::string>("Node Type", "") == "ModifyTable";
    out.emplace_back(schema.empty() ? relation : schema + "." + relation, write);
  }
  if (auto plans = node->getArray("Plans"))
    for (size_t k = 0; k < plans->size(); ++k) walkPlan(plans->getObject(static_cast<unsigned>(k)), out);
}

}  // namespace

void PostgresConnection::explainInto(std::string_view sql, const cs_value* params, size_t n, StatementAccess& out) {
  const std::vector<bool> used = scanPlaceholders(sql);
  if (used.size() > n) {
    throw DbError(DbError::Kind::Generic, "SQL uses $" + std::to_string(used.size()) + " but only " +
                                              std::to_string(n) + " parameters were given");
  }
  std::vector<Oid> types(used.size(), 0);
  for (size_t k = 0; k < used.size(); ++k)
    if (!used[k]) types[k] = kText;
  const std::string text = "EXPLAIN (VERBOSE, FORMAT JSON) " + std::string(sql);
  Prepared p{"", static_cast<int>(used.size())};  // the unnamed statement: replaced by the next one
  Result prep(PQprepare(conn_, "", text.c_str(), p.paramCount, types.empty() ? nullptr : types.data()));
  if (!prep || PQresultStatus(prep.get()) != PGRES_COMMAND_OK) fail(prep.get());
  Result r = execPrepared(p, params);
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail(r.get());
  std::string json;
  for (int row = 0; row < PQntuples(r.get()); ++row) json += PQgetvalue(r.get(), row, 0);
  std::vector<std::pair<std::string, bool>> relations;
  try {
    auto plans = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
    for (size_t k = 0; plans && k < plans->size(); ++k)
      if (auto top = plans->getObject(static_cast<unsigned>(k))) walkPlan(top->getObject("Plan"), relations);
  } catch (const Poco::Exception& e) {
    throw DbError(DbError::Kind::Generic, "cannot read the plan of a statement: " + e.displayText());
  }
  for (auto& [name, write] : relations) out.tables.push_back(touch(name, write ? TableUse::Write : TableUse::Read));
}

StatementAccess PostgresConnection::describeAccess(std::string_view sql, const cs_value* params, size_t n) {
  StatementAccess out;
  const std::string keyword = sqltext::firstKeyword(sql);
  if (keyword == "SELECT" || keyword == "INSERT" || keyword == "UPDATE" || keyword == "DELETE" || keyword == "WITH" ||
      keyword == "VALUES" || keyword == "TABLE" || keyword == "MERGE") {
    explainInto(sql, params, n, out);
  } else if (keyword == "BEGIN" || keyword == "COMMIT" || keyword == "ROLLBACK" || keyword == "SAVEPOINT" ||
             keyword == "RELEASE" || keyword == "START" || keyword == "END" || keyword == "SHOW") {
    // no table
  } else if (keyword == "CREATE" || keyword == "ALTER" || keyword == "DROP" || keyword == "TRUNCATE" ||
             keyword == "LOCK" || keyword == "ANALYZE") {
    sqltext::DdlTargets t = sqltext::ddlTargets(sql);
    if (!t.recognised) {
      out.unsupported = "this form of " + keyword;
      return out;
    }
    const TableUse use =
        keyword == "TRUNCATE" || keyword == "LOCK" || keyword == "ANALYZE" ? TableUse::Write : TableUse::Schema;
    for (auto& name : t.tables) out.tables.push_back(touch(name, use));
    for (auto& index : t.indexes) {
      TableTouch i = touch(index, TableUse::Schema);
      const cs_value p[] = {{CS_VAL_TEXT, 0, 0, {i.table.data(), i.table.size()}}};
      ResultSet rs =
          query("SELECT tablename FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1", p, 1);
      for (size_t row = 0; row < rs.rows(); ++row) out.tables.push_back(touch(rs.at(row, 0).s, TableUse::Schema));
    }
    if (!t.query.empty()) explainInto(t.query, nullptr, 0, out);
  } else {
    out.unsupported = keyword.empty() ? "an empty statement" : keyword + " statements";
  }
  return out;
}

void PostgresConnection::execScriptChecked(std::string_view sql, const AccessCheck& check) {
  for (std::string_view statement : sqltext::splitStatements(sql)) {
    check(describeAccess(statement, nullptr, 0));
    simple(std::string(statement).c_str());
  }
}

void PostgresConnection::begin() { simple("BEGIN"); }

void PostgresConnection::commit() {
  // COMMIT of an aborted transaction "succeeds" with the tag ROLLBACK; never let a caller
  // believe that committed.
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    simple("ROLLBACK");
    throw DbError(DbError::Kind::Generic, "transaction aborted by an earlier error; rolled back");
  }
  Result r = simple("COMMIT");
  if (std::strcmp(PQcmdStatus(r.get()), "ROLLBACK") == 0)
    throw DbError(DbError::Kind::Generic, "COMMIT rolled the transaction back");
}

void PostgresConnection::rollback() {
  // On a dead connection the server has already rolled back; nothing to do.
  if (PQstatus(conn_) != CONNECTION_OK) return;
  if (inTransaction()) simple("ROLLBACK");
}

bool PostgresConnection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

bool PostgresConnection::inTransaction() const {
  const PGTransactionStatusType st = PQtransactionStatus(conn_);
  return st == PQTRANS_INTRANS || st == PQTRANS_INERROR || st == PQTRANS_ACTIVE;
}

bool PostgresConnection::stillAlive() {
  // A backend terminated while idle sends a FATAL message, then closes. The first read
  // gets the message (parsed by PQisBusy as a notice), the second sees the EOF and marks
  // the connection bad. On a live connection both reads find nothing and return at once.
  for (int round = 0; round < 2 && PQstatus(conn_) == CONNECTION_OK; ++round) {
    if (PQconsumeInput(conn_) == 0) return false;
    PQisBusy(conn_);
  }
  while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);
  return PQstatus(conn_) == CONNECTION_OK;
}

}  // namespace codestats::host::db
