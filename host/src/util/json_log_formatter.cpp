#include "util/json_log_formatter.hpp"

#include <spdlog/details/log_msg.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include <codestats/json.hpp>

namespace codestats::host {

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(msg.time.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));

  std::string_view text(msg.payload.data(), msg.payload.size());
  std::string_view source;
  if (text.size() > 2 && text[0] == '[') {
    size_t close = text.find(']');
    if (close != std::string_view::npos && text.find(' ') > close) {
      source = text.substr(1, close - 1);
      text.remove_prefix(close + 1);
      if (!text.empty() && text[0] == ' ') text.remove_prefix(1);
    }
  }
  auto level = spdlog::level::to_string_view(msg.level);
  std::string line = "{\"ts\":\"";
  line += ts;
  line += "\",\"level\":";
  line += codestats::jsonString(std::string_view(level.data(), level.size()));
  if (!source.empty()) {
    line += ",\"source\":";
    line += codestats::jsonString(source);
  }
  line += ",\"msg\":";
  line += codestats::jsonString(text);
  line += ",\"thread\":" + std::to_string(msg.thread_id) + "}\n";
  dest.append(line.data(), line.data() + line.size());
}

}  // namespace codestats::host
