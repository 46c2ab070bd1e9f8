// The front page's "example profile" link: the configured user (modules.web.example_profile)
// when it exists and is public, else the public user with the most XP, else none (a new
// server has no profile to show). Never a link to a 404 such as the original's /users/Nicd.
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace codestats::web {

class ExampleProfile {
 public:
  ExampleProfile(Host& host, std::string configured) : host_(host), configured_(std::move(configured)) {}

  // The username to link to; looked up at most once a minute (the front page is hot, and
  // finding the top user reads every user's total).
  std::optional<std::string> username(int64_t nowMs);

 private:
  std::optional<std::string> lookUp();

  Host& host_;
  const std::string configured_;
  std::mutex mu_;
  int64_t checkedAtMs_ = -1;
  std::optional<std::string> cached_;
};

}  // namespace codestats::web
