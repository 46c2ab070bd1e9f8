#include "exports.hpp"

#include <codestats/json.hpp>

#include "csv.hpp"
#include "db_util.hpp"

namespace codestats::web {
namespace {

void sendCsv(Ctx& c, const std::string& filename, const std::string& body) {
  c.resp.status(200)
      .header("Content-Type", "text/csv; charset=utf-8")
      .header("Content-Disposition", "attachment; filename=\"" + filename + "\"")
      .header("Cache-Control", "no-store")
      .write(body);
}

// {"k": xp, ...} from rows of (key, xp).
std::string jsonMap(const Rows& r, bool dayKeys) {
  std::string out = "{";
  for (size_t i = 0; i < r.size(); ++i) {
    std::string key;
    if (dayKeys) {
      int64_t d = r[i].i64(0);
      char buf[48];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d / 10000), static_cast<int>(d / 100 % 100),
                    static_cast<int>(d % 100));
      key = buf;
    } else {
      key = r[i].isNull(0) ? std::string() : std::string(r[i].text(0));
      if (key.empty()) key = std::to_string(r[i].i64(0));
    }
    out += (i ? "," : "") + jsonString(key) + ":" + std::to_string(r[i].i64(1));
  }
  return out + "}";
}

}  // namespace

void exportPulses(App& app, Ctx& c) {
  std::string body = csvRow({"sent_at", "sent_at_local", "tz_offset", "language", "machine", "amount"});
  if (tableExists(app.host(), "pulses")) {
    auto r = app.host().query(
        "SELECT p.sent_at, p.sent_at_local, p.tz_offset, l.name, m.name, x.amount FROM pulses p "
        "JOIN xps x ON x.pulse_id = p.id JOIN languages l ON l.id = x.language_id "
        "JOIN machines m ON m.id = p.machine_id WHERE p.user_id = $1 ORDER BY p.sent_at, p.id, x.id",
        {c.user->id});
    for (size_t i = 0; i < r.size(); ++i)
      body += csvRow({formatUtc(r[i].i64(0)), r[i].isNull(1) ? "" : formatLocal(r[i].i64(1)),
                      r[i].isNull(2) ? "" : std::to_string(r[i].i64(2)), std::string(r[i].text(3)),
                      std::string(r[i].text(4)), std::to_string(r[i].i64(5))});
  }
  sendCsv(c, "pulses.csv", body);
}

void exportPrivate(App& app, Ctx& c) {
  // The original dumped its per-user cache; here the same four maps come from ingest's
  // aggregate tables, as JSON (ids as keys, like the original's cache).
  std::string cache = "{}";
  if (tableExists(app.host(), "user_language_xps")) {
    Host& h = app.host();
    int64_t id = c.user->id;
    cache =
        "{\"languages\":" +
        jsonMap(
            h.query(
                "SELECT CAST(language_id AS TEXT), xp FROM user_language_xps WHERE user_id = $1 ORDER BY language_id",
                {id}),
            false) +
        ",\"machines\":" +
        jsonMap(
            h.query("SELECT CAST(machine_id AS TEXT), xp FROM user_machine_xps WHERE user_id = $1 ORDER BY machine_id",
                    {id}),
            false) +
        ",\"dates\":" +
        jsonMap(h.query("SELECT day, xp FROM user_day_xps WHERE user_id = $1 ORDER BY day", {id}), true) +
        ",\"hours\":" +
        jsonMap(h.query("SELECT CAST(hour AS TEXT), xp FROM user_hour_xps WHERE user_id = $1 ORDER BY hour", {id}),
                false) +
        "}";
  }
  std::string body = csvRow({"username", "email", "private_profile", "last_cached", "cache"});
  body += csvRow({c.user->username, c.user->email.value_or(""), c.user->privateProfile ? "true" : "false", "", cache});
  sendCsv(c, "private.csv", body);
}

}  // namespace codestats::web
