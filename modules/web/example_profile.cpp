#include "example_profile.hpp"

#include "db_util.hpp"

namespace codestats::web {

namespace {
constexpr int64_t kRecheckMs = 60 * 1000;
}  // namespace

std::optional<std::string> ExampleProfile::username(int64_t nowMs) {
  std::lock_guard lock(mu_);
  if (checkedAtMs_ < 0 || nowMs - checkedAtMs_ >= kRecheckMs) {
    cached_ = lookUp();
    checkedAtMs_ = nowMs;
  }
  return cached_;
}

std::optional<std::string> ExampleProfile::lookUp() {
  if (!configured_.empty()) {
    auto r = host_.query("SELECT username FROM users WHERE lower(username) = lower($1) AND private_profile = 0",
                         {configured_});
    if (!r.empty()) return std::string(r[0].text(0));
  }
  if (!tableExists(host_, "user_totals")) return std::nullopt;
  auto top = host_.query(
      "SELECT u.username FROM user_totals t JOIN users u ON u.id = t.user_id WHERE u.private_profile = 0 AND t.xp > 0 "
      "ORDER BY t.xp DESC, u.id LIMIT 1");
  if (top.empty()) return std::nullopt;
  return std::string(top[0].text(0));
}

}  // namespace codestats::web
