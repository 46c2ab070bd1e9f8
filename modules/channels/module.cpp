// The channels module: the meaning of the live-update topics (spec §6). The host's channel
// hub owns sockets, joins and fan-out; this module decides who may connect and join, what a
// join replies, and turns pulse.created events into new_pulse broadcasts. Reloading it drops
// no socket.
#include <codestats/sdk.hpp>

#include <chrono>
#include <memory>

#include "geoip.hpp"
#include "payloads.hpp"
#include "common/socket_token.hpp"

#define CHANNELS_MODULE_VERSION "0.2.0"

namespace {

using codestats::ChannelCall;
using codestats::ChannelReply;
using codestats::Param;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The value of `key` in a query string, percent-decoded.
std::string queryValue(std::string_view query, std::string_view key) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(pos, end - pos);
    if (part.size() > key.size() && part.substr(0, key.size()) == key && part[key.size()] == '=') {
      std::string out;
      std::string_view v = part.substr(key.size() + 1);
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size() + 0 && std::isxdigit(static_cast<unsigned char>(v[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
          out += static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16));
          i += 2;
        } else {
          out += v[i] == '+' ? ' ' : v[i];
        }
      }
      return out;
    }
    pos = end + 1;
  }
  return {};
}

constexpr int64_t kHistoryWindowMs = int64_t(4) * 3600 * 1000;
constexpr const char* kUnauthorized = R"({"reason":"Unauthorized."})";

class ChannelsModule : public codestats::Module {
 public:
  explicit ChannelsModule(codestats::Host h) : Module(h) {
    // No tables of its own: profiles and the front page's history are read through the
    // read contracts (docs/data-ownership.md).
    uses("ingest.xp", 1);
    uses("web.accounts", 1);
    host().rejectUnknownConfig({"geoip_db"});
    secret_ = host().config("host.secret_key_base", "");
    // A MaxMind-format City database for front-page coordinates; none: coords are null.
    if (auto path = host().config("geoip_db"); path && !path->empty())
      geo_ = std::make_unique<channels::GeoIp>(std::string(*path));

    route("GET", "/health/channels", [](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"channels","status":"ok","version":")" CHANNELS_MODULE_VERSION R"("})");
    });

    onSocketConnect([this](std::string_view query, std::string_view) -> std::optional<std::string> {
      std::string token = queryValue(query, "token");
      if (token.empty()) return std::string();  // anonymous
      auto user = codestats::common::verifySocketToken(secret_, token, nowMs());
      if (!user || !userExists(*user)) return std::nullopt;  // refused, never downgraded
      return *user;
    });

    channel("frontpage", codestats::ChannelHandlers{
                             [this](const ChannelCall&) { return ChannelReply::accept(frontpageHistory()); }, {}, {}});

    channel("users:*", codestats::ChannelHandlers{[this](const ChannelCall& c) {
                                                    std::string username(c.topic.substr(6));
                                                    auto rows = host().query(
                                                        "SELECT private_profile FROM users WHERE username = $1",
                                                        {Param(username)});
                                                    if (rows.empty()) return ChannelReply::refuse(kUnauthorized);
                                                    bool isPrivate = rows[0].i64(0) != 0;
                                                    if (isPrivate && c.identity != username)
                                                      return ChannelReply::refuse(kUnauthorized);
                                                    return ChannelReply::accept("{}");
                                                  },
                                                  {},
                                                  {}});

    subscribe("pulse.created", [this](std::string_view, std::string_view json) {
      auto e = channels::parsePulseEvent(json);
      if (!e) {
        host().warn("pulse.created event without the expected fields");
        return;
      }
      host().broadcast("users:" + e->username, "new_pulse", channels::userPulsePayload(*e));
      std::optional<std::pair<double, double>> coords;
      if (geo_ && !e->isPrivate) coords = geo_->lookup(e->clientIp);
      host().broadcast("frontpage", "new_pulse", channels::frontpagePulsePayload(*e, coords));
    });

    command("socket-token", "socket-token USERNAME: a live-update socket token for that user (90 days)",
            [this](const std::vector<std::string>& args) {
              if (args.size() != 1) throw codestats::Error(CS_E_INVALID, "usage: channels.socket-token USERNAME");
              if (!userExists(args[0])) throw codestats::Error(CS_E_NOT_FOUND, "no user '" + args[0] + "'");
              return codestats::common::signSocketToken(secret_, args[0], nowMs());
            });
  }

 private:
  bool userExists(const std::string& username) {
    return !host().query("SELECT 1 FROM users WHERE username = $1", {Param(username)}).empty();
  }

  // XP per UTC minute over the last 4 hours, each XP row capped at 400 (spec §10.1): from
  // the cache's warm buckets (cache.v1 xp_history, the same reply), else from the DB.
  std::string frontpageHistory() {
    try {
      if (auto cached = host().call("cache", 1, "xp_history", "{}")) return *cached;
    } catch (const codestats::Error& e) {
      host().warn(std::string("cache.v1 xp_history failed, reading the DB: ") + e.what());
    }
    auto rows = host().query(
        "SELECT p.sent_at / 60000 AS minute, SUM(CASE WHEN x.amount > 400 THEN 400 ELSE x.amount END) "
        "FROM pulses p JOIN xps x ON x.pulse_id = p.id WHERE p.sent_at > $1 GROUP BY p.sent_at / 60000",
        {Param(nowMs() - kHistoryWindowMs)});
    std::vector<std::pair<int64_t, int64_t>> minutes;
    for (size_t i = 0; i < rows.size(); ++i) minutes.emplace_back(rows[i].i64(0), rows[i].i64(1));
    return channels::xpHistoryReply(std::move(minutes));
  }

  std::string secret_;
  std::unique_ptr<channels::GeoIp> geo_;
};

}  // namespace

CODESTATS_MODULE(ChannelsModule, "channels", CHANNELS_MODULE_VERSION, 1)
