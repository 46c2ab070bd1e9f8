#include <libpq-fe.h>

#include <cctype>
#include <map>
#include <stdexcept>
#include <string>

#include "sinks.hpp"

namespace dataset {
namespace {

// One COPY ... FROM STDIN per table, each on its own connection, all streaming at once.
class CopyStream {
 public:
  CopyStream(const std::string& conninfo, const std::string& copySql) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(std::string("postgres: ") + PQerrorMessage(conn_));
    PGresult* r = PQexec(conn_, copySql.c_str());
    bool ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!ok)
      throw std::runtime_error("postgres: " + copySql + ": " + PQerrorMessage(conn_) +
                               " (run the host once to migrate)");
  }
  ~CopyStream() { PQfinish(conn_); }
  void row(const std::string& line) {
    buf_ += line;
    buf_ += '\n';
    if (buf_.size() > (1 << 20)) flush();
  }
  void end() {
    flush();
    if (PQputCopyEnd(conn_, nullptr) != 1) throw std::runtime_error(std::string("postgres: ") + PQerrorMessage(conn_));
    PGresult* r = PQgetResult(conn_);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) throw std::runtime_error(std::string("postgres: COPY failed: ") + PQerrorMessage(conn_));
  }
  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!ok) throw std::runtime_error("postgres: " + sql + ": " + PQerrorMessage(conn_));
  }

 private:
  void flush() {
    if (!buf_.empty() && PQputCopyData(conn_, buf_.data(), static_cast<int>(buf_.size())) != 1)
      throw std::runtime_error(std::string("postgres: ") + PQerrorMessage(conn_));
    buf_.clear();
  }
  PGconn* conn_ = nullptr;
  std::string buf_;
};

std::string join(std::initializer_list<int64_t> v) {
  std::string out;
  for (int64_t x : v) {
    if (!out.empty()) out += '\t';
    out += std::to_string(x);
  }
  return out;
}

// COPY text format: backslash, tab and newline escaped.
std::string text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

class PostgresSink : public Sink {
 public:
  explicit PostgresSink(const std::string& conninfo) : conninfo_(conninfo) {
    auto open = [&](const char* name, const char* sql) {
      streams_[name] = std::make_unique<CopyStream>(conninfo, sql);
    };
    open("languages", "COPY languages (id, name, name_lower, inserted_at) FROM STDIN");
    open("users", "COPY users (id, username, private_profile, inserted_at, updated_at) FROM STDIN");
    open("machines", "COPY machines (id, user_id, name, active, api_salt, inserted_at, updated_at) FROM STDIN");
    open("pulses",
         "COPY pulses (id, user_id, machine_id, sent_at, sent_at_local, tz_offset, local_day, local_hour, inserted_at) "
         "FROM STDIN");
    open("xps", "COPY xps (id, pulse_id, language_id, original_language_id, amount) FROM STDIN");
    open("user_language_xps", "COPY user_language_xps (user_id, language_id, xp) FROM STDIN");
    open("user_machine_xps", "COPY user_machine_xps (user_id, machine_id, xp) FROM STDIN");
    open("user_day_xps", "COPY user_day_xps (user_id, day, xp) FROM STDIN");
    open("user_hour_xps", "COPY user_hour_xps (user_id, hour, xp) FROM STDIN");
    open("user_totals", "COPY user_totals (user_id, xp, last_pulse_at) FROM STDIN");
    pulses_ = streams_.at("pulses").get();
    xps_ = streams_.at("xps").get();
  }
  void language(int64_t id, const std::string& name, int64_t at) override {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    streams_["languages"]->row(std::to_string(id) + "\t" + text(name) + "\t" + text(lower) + "\t" + std::to_string(at));
  }
  void user(int64_t id, const std::string& username, bool isPrivate, int64_t at) override {
    streams_["users"]->row(std::to_string(id) + "\t" + text(username) + "\t" + join({isPrivate ? 1 : 0, at, at}));
  }
  void machine(int64_t id, int64_t userId, const std::string& name, int64_t at) override {
    streams_["machines"]->row(join({id, userId}) + "\t" + text(name) + "\t1\t$2b$12$datasetdatasetdataset.\t" +
                              join({at, at}));
  }
  void pulse(int64_t id, int64_t userId, int64_t machineId, int64_t sentAt, int64_t sentAtLocal, int tz, int32_t day,
             int hour, int64_t insertedAt) override {
    pulses_->row(join({id, userId, machineId, sentAt, sentAtLocal, tz, day, hour, insertedAt}));
  }
  void xp(int64_t id, int64_t pulseId, int64_t languageId, int64_t amount) override {
    xps_->row(join({id, pulseId, languageId, languageId, amount}));
  }
  void aggregate(const char* table, int64_t userId, int64_t key, int64_t xp) override {
    streams_.at(table)->row(join({userId, key, xp}));
  }
  void total(int64_t userId, int64_t xp, int64_t last) override {
    streams_["user_totals"]->row(join({userId, xp, last}));
  }
  void finish() override {
    // Parents before children: machines.user_id references users.
    for (const char* name : {"languages", "users", "machines", "pulses", "xps", "user_language_xps", "user_machine_xps",
                             "user_day_xps", "user_hour_xps", "user_totals"})
      streams_.at(name)->end();
    CopyStream* any = streams_.begin()->second.get();
    for (const char* seq : {"languages", "users", "machines", "pulses", "xps"})
      any->exec(std::string("SELECT setval(pg_get_serial_sequence('") + seq + "', 'id'), (SELECT MAX(id) FROM " + seq +
                "))");
    any->exec(
        "ANALYZE languages, users, machines, pulses, xps, user_language_xps, user_machine_xps, user_day_xps, "
        "user_hour_xps, user_totals");
  }

 private:
  std::string conninfo_;
  std::map<std::string, std::unique_ptr<CopyStream>> streams_;
  CopyStream* pulses_ = nullptr;
  CopyStream* xps_ = nullptr;
};

}  // namespace

std::unique_ptr<Sink> postgresSink(const std::string& conninfo) { return std::make_unique<PostgresSink>(conninfo); }

}  // namespace dataset
