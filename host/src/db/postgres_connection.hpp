// A Connection on one libpq PGconn: UTC session, statements prepared once (PQprepare,
// named "s<N>") and cached by SQL text, text-format results mapped by column type OID.
#pragma once

#include "db/database.hpp"
#include "db/statement_cache.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace codestats::host::db {

// Replaces the values of password= / sslpassword= (and the password of a
// postgresql://user:pw@ URI) in `text` with "***". Used on every message we build.
std::string redactConninfo(std::string_view text);

// "host=... port=... dbname=... user=..." with no password, for logs.
std::string describeConninfo(const std::string& conninfo);

class PostgresConnection final : public Connection {
 public:
  // Connects; adds options=-cTimeZone=UTC unless the conninfo sets options itself.
  // Throws DbError(Connection) with the password redacted.
  static std::unique_ptr<PostgresConnection> open(const std::string& conninfo);
  ~PostgresConnection() override;
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  ResultSet query(std::string_view sql, const cs_value* params, size_t n) override;
  void execScript(std::string_view sql) override;
  StatementAccess describeAccess(std::string_view sql, const cs_value* params, size_t n) override;
  void execScriptChecked(std::string_view sql, const AccessCheck& check) override;
  void begin() override;
  void commit() override;
  void rollback() override;
  bool healthy() const override;

  // Used by the pool: a connection handed back mid-transaction is rolled back first.
  bool inTransaction() const;
  // Used by the pool before handing out an idle connection: reads whatever the server
  // sent meanwhile, so a connection the server closed is noticed without a round trip.
  bool stillAlive();

 private:
  struct Prepared {
    std::string name;  // "s<N>"
    int paramCount = 0;
  };
  struct ResultDeleter {
    void operator()(PGresult* r) const;
  };
  using Result = std::unique_ptr<PGresult, ResultDeleter>;

  explicit PostgresConnection(PGconn* conn);
  Prepared& prepared(std::string_view sql);
  Result execPrepared(const Prepared& p, const cs_value* params);
  // Throws the DbError for a failed command; `res` may be null.
  [[noreturn]] void fail(const PGresult* res);
  Result simple(const char* sql);  // PQexec + error check
  void deallocate(const std::string& name);
  // describeAccess's parts: EXPLAIN for queries and DML, the text for DDL, LOCK, TRUNCATE.
  void explainInto(std::string_view sql, const cs_value* params, size_t n, StatementAccess& out);
  TableTouch touch(std::string name, TableUse use);  // resolves the schema part
  const std::string& currentSchema();

  PGconn* conn_;
  uint64_t nextStatement_ = 1;
  StatementCache<Prepared> cache_;
  std::string currentSchema_;  // read once, on first use
  // Per-call scratch reused across queries so binding does not allocate per parameter.
  std::string textParams_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<size_t> offsets_;  // into textParams_, npos for non-text values
};

}  // namespace codestats::host::db
