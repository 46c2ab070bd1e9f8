// log.format = json: one JSON object per line, for log shippers (journald -> Loki, Vector,
// ...). Fields: ts (UTC, milliseconds), level, source ("host", "admin", "http" or
// "module@version#generation", taken from the line's [..] prefix), msg, thread.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace codestats::host {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLogFormatter>(); }
};

}  // namespace codestats::host
