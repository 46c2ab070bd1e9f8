#include "schema.hpp"

#include <string_view>

namespace codestats::web {
namespace {

// One schema for both backends; only the auto-increment id column type differs.
constexpr const char* kUsersMachines = R"SQL(
CREATE TABLE IF NOT EXISTS users (id {ID}, username TEXT NOT NULL, email TEXT NULL, password_hash TEXT NULL, private_profile INTEGER NOT NULL DEFAULT 0, inserted_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS users_username_index ON users (username);
CREATE UNIQUE INDEX IF NOT EXISTS users_lower_username_index ON users (lower(username));
CREATE TABLE IF NOT EXISTS machines (id {ID}, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, name TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1, api_salt TEXT NOT NULL, inserted_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS machines_user_id_index ON machines (user_id);
CREATE UNIQUE INDEX IF NOT EXISTS machines_user_id_lower_name_index ON machines (user_id, lower(name));
)SQL";

// Accounts part 1 (issue 5): terms consent and Gravatar columns, server-side sessions
// (flash and CSRF token live in the row), hashed password-reset and remember-me tokens,
// and operator settings (signups on/off). Expand-only: new columns have defaults.
constexpr const char* kAccounts = R"SQL(
ALTER TABLE users ADD COLUMN terms_version TEXT NOT NULL DEFAULT '2016-08-02';
ALTER TABLE users ADD COLUMN gravatar_email TEXT NULL;
CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, user_id INTEGER NULL REFERENCES users (id) ON DELETE CASCADE, csrf_token TEXT NOT NULL, flash TEXT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user_id_index ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_expires_at_index ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS password_resets (id {ID}, token_hash TEXT NOT NULL, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, inserted_at BIGINT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS password_resets_token_hash_index ON password_resets (token_hash);
CREATE INDEX IF NOT EXISTS password_resets_user_id_index ON password_resets (user_id);
CREATE TABLE IF NOT EXISTS remember_tokens (token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS remember_tokens_user_id_index ON remember_tokens (user_id);
CREATE TABLE IF NOT EXISTS web_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
)SQL";

// Issue 18: which rows an import of an original Code::Stats database wrote, by source and
// original id, so that a second run (resume, delta) updates them instead of adding twins
// (web.import-accounts, docs/operations.md "Moving from Code::Stats").
constexpr const char* kImportIdMap =
    "CREATE TABLE IF NOT EXISTS import_id_map (source TEXT NOT NULL, kind TEXT NOT NULL, source_id BIGINT NOT NULL, "
    "target_id BIGINT NOT NULL, PRIMARY KEY (source, kind, source_id))";

std::string withIdType(std::string sql, std::string_view idType) {
  for (size_t pos; (pos = sql.find("{ID}")) != std::string::npos;) sql.replace(pos, 4, idType);
  return sql;
}

}  // namespace

const std::vector<Migration>& webMigrations() {
  static const std::vector<Migration> kList = {
      {1, "users and machines", withIdType(kUsersMachines, "INTEGER PRIMARY KEY"),
       withIdType(kUsersMachines, "SERIAL PRIMARY KEY")},
      {2, "sessions, password resets, remember-me tokens, terms consent", withIdType(kAccounts, "INTEGER PRIMARY KEY"),
       withIdType(kAccounts, "SERIAL PRIMARY KEY")},
      {3, "ids written by imports of an original Code::Stats database", kImportIdMap, kImportIdMap},
  };
  return kList;
}

}  // namespace codestats::web
