#include <sqlite3.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "sinks.hpp"

namespace dataset {
namespace {

class SqliteSink : public Sink {
 public:
  explicit SqliteSink(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("sqlite: cannot open " + path);
    exec("PRAGMA synchronous = OFF");
    exec("PRAGMA cache_size = -262144");
    exec("BEGIN");
    language_ =
        prepare("INSERT INTO languages (id, name, name_lower, alias_of, inserted_at) VALUES (?, ?, lower(?), NULL, ?)");
    user_ =
        prepare("INSERT INTO users (id, username, private_profile, inserted_at, updated_at) VALUES (?, ?, ?, ?, ?)");
    machine_ = prepare(
        "INSERT INTO machines (id, user_id, name, active, api_salt, inserted_at, updated_at) VALUES (?, ?, ?, 1, "
        "'$2b$12$datasetdatasetdataset.', ?, ?)");
    pulse_ = prepare(
        "INSERT INTO pulses (id, user_id, machine_id, sent_at, sent_at_local, tz_offset, local_day, local_hour, "
        "inserted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    xp_ = prepare("INSERT INTO xps (id, pulse_id, language_id, original_language_id, amount) VALUES (?, ?, ?, ?, ?)");
    for (const char* t : {"user_language_xps", "user_machine_xps", "user_day_xps", "user_hour_xps"}) {
      std::string key = std::string(t) == "user_language_xps"  ? "language_id"
                        : std::string(t) == "user_machine_xps" ? "machine_id"
                        : std::string(t) == "user_day_xps"     ? "day"
                                                               : "hour";
      aggregates_[t] = prepare("INSERT INTO " + std::string(t) + " (user_id, " + key + ", xp) VALUES (?, ?, ?)");
    }
    total_ = prepare("INSERT INTO user_totals (user_id, xp, last_pulse_at) VALUES (?, ?, ?)");
  }
  ~SqliteSink() override {
    for (auto* s : statements_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }

  void language(int64_t id, const std::string& name, int64_t at) override { run(language_, {id}, {name, name}, {at}); }
  void user(int64_t id, const std::string& username, bool isPrivate, int64_t at) override {
    sqlite3_bind_int64(user_, 1, id);
    sqlite3_bind_text(user_, 2, username.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(user_, 3, isPrivate ? 1 : 0);
    sqlite3_bind_int64(user_, 4, at);
    sqlite3_bind_int64(user_, 5, at);
    step(user_);
  }
  void machine(int64_t id, int64_t userId, const std::string& name, int64_t at) override {
    sqlite3_bind_int64(machine_, 1, id);
    sqlite3_bind_int64(machine_, 2, userId);
    sqlite3_bind_text(machine_, 3, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(machine_, 4, at);
    sqlite3_bind_int64(machine_, 5, at);
    step(machine_);
  }
  void pulse(int64_t id, int64_t userId, int64_t machineId, int64_t sentAt, int64_t sentAtLocal, int tz, int32_t day,
             int hour, int64_t insertedAt) override {
    int64_t v[] = {id, userId, machineId, sentAt, sentAtLocal, tz, day, hour, insertedAt};
    for (int i = 0; i < 9; ++i) sqlite3_bind_int64(pulse_, i + 1, v[i]);
    step(pulse_);
  }
  void xp(int64_t id, int64_t pulseId, int64_t languageId, int64_t amount) override {
    int64_t v[] = {id, pulseId, languageId, languageId, amount};
    for (int i = 0; i < 5; ++i) sqlite3_bind_int64(xp_, i + 1, v[i]);
    step(xp_);
  }
  void aggregate(const char* table, int64_t userId, int64_t key, int64_t xp) override {
    sqlite3_stmt* s = aggregates_.at(table);
    sqlite3_bind_int64(s, 1, userId);
    sqlite3_bind_int64(s, 2, key);
    sqlite3_bind_int64(s, 3, xp);
    step(s);
  }
  void total(int64_t userId, int64_t xp, int64_t last) override {
    sqlite3_bind_int64(total_, 1, userId);
    sqlite3_bind_int64(total_, 2, xp);
    sqlite3_bind_int64(total_, 3, last);
    step(total_);
  }
  void finish() override {
    exec("COMMIT");
    exec("ANALYZE");
  }

 private:
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + sql + ": " + msg);
    }
  }
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error("sqlite: " + sql + ": " + sqlite3_errmsg(db_) + " (run the host once to migrate)");
    statements_.push_back(s);
    return s;
  }
  void step(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
    sqlite3_reset(s);
  }
  void run(sqlite3_stmt* s, std::vector<int64_t> a, std::vector<std::string> t, std::vector<int64_t> b) {
    int i = 1;
    for (auto v : a) sqlite3_bind_int64(s, i++, v);
    for (auto& v : t) sqlite3_bind_text(s, i++, v.c_str(), -1, SQLITE_TRANSIENT);
    for (auto v : b) sqlite3_bind_int64(s, i++, v);
    step(s);
  }

  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
  sqlite3_stmt *language_, *user_, *machine_, *pulse_, *xp_, *total_;
  std::map<std::string, sqlite3_stmt*> aggregates_;
};

}  // namespace

std::unique_ptr<Sink> sqliteSink(const std::string& path) { return std::make_unique<SqliteSink>(path); }

}  // namespace dataset
