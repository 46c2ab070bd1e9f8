// GET /users/:name/avatar: the Gravatar proxy (spec §7.11, §10.3; docs/web.md "Avatar").
#pragma once

#include <codestats/sdk.hpp>

#include "app.hpp"
#include "avatar_cache.hpp"
#include "gravatar_client.hpp"

namespace codestats::web {

class AvatarProxy {
 public:
  explicit AvatarProxy(const WebConfig& config);
  void serve(App& app, const Request& req, Response& resp);

 private:
  GravatarClient client_;
  AvatarCache cache_;
};

}  // namespace codestats::web
