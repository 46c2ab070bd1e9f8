// The SQL reader behind the PostgreSQL side of the table-ownership check (db/SqlText).
#include <catch2/catch.hpp>

#include "db/sql_text.hpp"

using namespace codestats::host::db::sqltext;

TEST_CASE("scripts split at top-level semicolons only", "[sqltext]") {
  auto parts = splitStatements(
      "CREATE TABLE a (x TEXT DEFAULT ';');\n-- a comment; with a semicolon\nINSERT INTO a VALUES ('it''s; fine');"
      "/* block; */ SELECT $$ ; $$, $tag$ ; $tag$;  ;\n  ");
  REQUIRE(parts.size() == 3);
  CHECK(parts[0] == "CREATE TABLE a (x TEXT DEFAULT ';')");
  CHECK(parts[1].find("INSERT INTO a VALUES ('it''s; fine')") != std::string_view::npos);
  CHECK(parts[2].find("SELECT $$ ; $$, $tag$ ; $tag$") != std::string_view::npos);
  CHECK(splitStatements("-- only a comment\n").empty());
  CHECK(splitStatements("SELECT $1; SELECT 2").size() == 2);  // $1 is a placeholder, not a dollar quote
}

TEST_CASE("the first keyword, upper case", "[sqltext]") {
  CHECK(firstKeyword("  /* c */ -- x\n select 1") == "SELECT");
  CHECK(firstKeyword("(SELECT 1)") == "");
  CHECK(firstKeyword("") == "");
}

TEST_CASE("DDL, LOCK and TRUNCATE name their tables", "[sqltext]") {
  auto t = ddlTargets("CREATE TABLE IF NOT EXISTS Pulses (id BIGSERIAL)");
  CHECK(t.recognised);
  CHECK(t.tables == std::vector<std::string>{"pulses"});
  t = ddlTargets("create unique index if not exists users_lower ON ONLY \"Users\" (lower(username))");
  CHECK(t.tables == std::vector<std::string>{"Users"});
  t = ddlTargets("CREATE INDEX ON xps (pulse_id)");
  CHECK(t.tables == std::vector<std::string>{"xps"});
  t = ddlTargets("ALTER TABLE user_language_xps_v2 RENAME TO user_language_xps");
  CHECK(t.tables == std::vector<std::string>{"user_language_xps_v2", "user_language_xps"});
  t = ddlTargets("ALTER TABLE users RENAME COLUMN a TO b");
  CHECK(t.tables == std::vector<std::string>{"users"});
  t = ddlTargets("ALTER TABLE users ADD COLUMN gravatar_email TEXT NULL");
  CHECK(t.tables == std::vector<std::string>{"users"});
  t = ddlTargets("DROP TABLE IF EXISTS a, public.b CASCADE");
  CHECK(t.tables == std::vector<std::string>{"a", "public.b"});
  t = ddlTargets("DROP INDEX IF EXISTS pulses_machine_id_sent_at_index");
  CHECK(t.indexes == std::vector<std::string>{"pulses_machine_id_sent_at_index"});
  CHECK(t.tables.empty());
  t = ddlTargets("LOCK TABLE user_language_xps, user_totals IN EXCLUSIVE MODE");
  CHECK(t.tables == std::vector<std::string>{"user_language_xps", "user_totals"});
  t = ddlTargets("TRUNCATE ONLY sessions");
  CHECK(t.tables == std::vector<std::string>{"sessions"});
  t = ddlTargets("CREATE VIEW v (a) AS SELECT username FROM users");
  CHECK(t.tables == std::vector<std::string>{"v"});
  CHECK(t.query == " SELECT username FROM users");
  t = ddlTargets("ANALYZE pulses, xps");
  CHECK(t.tables == std::vector<std::string>{"pulses", "xps"});
}

TEST_CASE("ANALYZE without tables (every table) is not recognised", "[sqltext]") {
  CHECK_FALSE(ddlTargets("ANALYZE").recognised);
  CHECK_FALSE(ddlTargets("analyze verbose").recognised);
}

TEST_CASE("statement kinds the reader does not know are not recognised", "[sqltext]") {
  CHECK_FALSE(ddlTargets("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql").recognised);
  CHECK_FALSE(ddlTargets("CREATE TRIGGER t AFTER INSERT ON pulses FOR EACH ROW EXECUTE FUNCTION f()").recognised);
  CHECK_FALSE(ddlTargets("GRANT SELECT ON users TO x").recognised);
  CHECK_FALSE(ddlTargets("CREATE TABLE").recognised);
}
