#include "context.hpp"

namespace codestats::web {

std::optional<std::string> Ctx::field(const std::string& name) const {
  auto it = form.find(name);
  if (it == form.end()) return std::nullopt;
  return it->second;
}

std::string Ctx::clientIp() const { return std::string(req.remoteAddr()); }

}  // namespace codestats::web
