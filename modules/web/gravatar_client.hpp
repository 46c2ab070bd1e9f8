// Fetches one avatar image from Gravatar (or whatever `modules.web.gravatar_url` points at)
// over HTTP or HTTPS with an overall deadline. No SDK: it runs on the calling thread.
#pragma once

#include <Poco/URI.h>

#include <chrono>
#include <string>

#include "avatar_cache.hpp"

namespace codestats::web {

class GravatarClient {
 public:
  static constexpr size_t kMaxImageBytes = size_t{1} << 20;  // a 200 px image is a few KB

  // base: http(s)://host[:port][/path]; throws std::invalid_argument when it is not one.
  GravatarClient(const std::string& base, std::chrono::milliseconds timeout);

  // GET <base>/avatar/<hash>?default=retro&rating=g&size=200. ok only for a 200 with an
  // image/* content type and at most kMaxImageBytes; never throws.
  Avatar fetch(const std::string& hash) const;

 private:
  Poco::URI base_;
  std::string basePath_;
  std::chrono::milliseconds timeout_;
};

}  // namespace codestats::web
