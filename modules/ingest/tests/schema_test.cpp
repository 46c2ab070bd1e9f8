// The ingest migrations on a real SQLite file: an existing database (migrations 1-3, with
// data) upgrades to the current schema without losing a row, and the queries that lost
// their index still plan on one that remains.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "schema.hpp"

using codestats::ingest::ingestMigrations;

namespace {

class SqliteFile {
 public:
  SqliteFile() {
    std::string dir = (std::filesystem::temp_directory_path() / "ingest-schema.XXXXXX").string();
    REQUIRE(::mkdtemp(dir.data()) != nullptr);
    dir_ = dir;
    REQUIRE(sqlite3_open((dir_ / "test.db").string().c_str(), &db_) == SQLITE_OK);
    exec("PRAGMA journal_mode=WAL");
  }
  ~SqliteFile() {
    sqlite3_close(db_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    INFO(sql);
    REQUIRE(msg == "");
    REQUIRE(rc == SQLITE_OK);
  }
  // Every row's columns joined by '|', rows by '\n'.
  std::string rows(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::string out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        auto* t = sqlite3_column_text(st, c);
        out += (c ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
      out += "\n";
    }
    sqlite3_finalize(st);
    return out;
  }
  std::set<std::string> indexes() {
    std::set<std::string> out;
    std::string all = rows("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'");
    size_t pos = 0;
    for (size_t nl; (nl = all.find('\n', pos)) != std::string::npos; pos = nl + 1)
      out.insert(all.substr(pos, nl - pos));
    return out;
  }

 private:
  std::filesystem::path dir_;
  sqlite3* db_ = nullptr;
};

// The data every table holds, in a stable order.
std::string snapshot(SqliteFile& db) {
  std::string out;
  for (const char* t : {"languages", "pulses", "xps", "user_language_xps", "user_machine_xps", "user_day_xps",
                        "user_hour_xps", "user_totals"})
    out += std::string(t) + ":\n" + db.rows(std::string("SELECT * FROM ") + t + " ORDER BY 1, 2");
  return out;
}

}  // namespace

TEST_CASE("ingest schema: migration versions are 1..N in order", "[ingest][schema]") {
  const auto& m = ingestMigrations();
  REQUIRE(m.size() >= 4);
  for (size_t i = 0; i < m.size(); ++i) CHECK(m[i].version == static_cast<int64_t>(i + 1));
}

TEST_CASE("ingest schema: an existing SQLite database upgrades without losing data", "[ingest][schema]") {
  SqliteFile db;
  const auto& m = ingestMigrations();
  for (size_t i = 0; i < 3; ++i) db.exec(m[i].sqlite);
  CHECK(db.indexes().count("pulses_machine_id_sent_at_index") == 1);
  db.exec(R"SQL(
INSERT INTO languages (id, name, name_lower, alias_of, inserted_at) VALUES (1, 'C++', 'c++', NULL, 1), (2, 'Rust', 'rust', NULL, 1);
INSERT INTO pulses VALUES (1, 7, 70, 1795700000000, 1795707200000, 120, 20261126, 13, 1795700000001),
                          (2, 7, 71, 1795700060000, 1795707260000, 120, 20261126, 13, 1795700060001);
INSERT INTO xps VALUES (1, 1, 1, 1, 10), (2, 1, 2, 2, 5), (3, 2, 2, 2, 3);
INSERT INTO user_language_xps VALUES (7, 1, 10), (7, 2, 8);
INSERT INTO user_machine_xps VALUES (7, 70, 15), (7, 71, 3);
INSERT INTO user_day_xps VALUES (7, 20261126, 18);
INSERT INTO user_hour_xps VALUES (7, 13, 18);
INSERT INTO user_totals VALUES (7, 18, 1795700060000);
)SQL");
  std::string before = snapshot(db);

  for (size_t i = 3; i < m.size(); ++i) db.exec(m[i].sqlite);

  CHECK(snapshot(db) == before);
  CHECK(db.indexes() ==
        std::set<std::string>{"pulses_user_id_sent_at_index", "xps_pulse_id_index", "pulses_sent_at_index"});
  // The CSV import's duplicate check and a user's recent pulses still use an index.
  CHECK_THAT(db.rows("EXPLAIN QUERY PLAN SELECT 1 FROM pulses WHERE user_id = 7 AND sent_at = 1795700000000 "
                     "AND machine_id = 70 LIMIT 1"),
             Catch::Contains("pulses_user_id_sent_at_index"));
  CHECK(db.rows("SELECT 1 FROM pulses WHERE user_id = 7 AND sent_at = 1795700000000 AND machine_id = 70") == "1\n");
  // Re-running the last migration (a second host racing the first) is harmless.
  db.exec(m.back().sqlite);
}

TEST_CASE("ingest schema: the bulk import's index list is every secondary index of pulses and xps",
          "[ingest][schema]") {
  SqliteFile db;
  for (const auto& m : ingestMigrations()) db.exec(m.sqlite);
  std::set<std::string> listed;
  for (const auto& i : codestats::ingest::pulseIndexes(false)) listed.insert(i.name);
  CHECK(db.indexes() == listed);
  // Dropped and built again from the list, the catalog is what the migrations made.
  std::string before = db.rows("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name");
  for (const auto& i : codestats::ingest::pulseIndexes(false)) db.exec(std::string("DROP INDEX ") + i.name);
  CHECK(db.indexes().empty());
  for (const auto& i : codestats::ingest::pulseIndexes(false)) db.exec(i.create);
  CHECK(db.rows("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name") == before);
}
