// /assets/<hashed name>: the embedded browser bundle (docs/frontend.md), served with
// immutable caching, an ETag and 304 on If-None-Match.
#pragma once

#include <codestats/sdk.hpp>

#include <string>
#include <string_view>

namespace codestats::web {

void serveAsset(const Request& req, Response& resp);
// "/assets/app-<hash>.js" for the manifest key "app.js" (empty when the bundle lacks it).
std::string assetPath(std::string_view logical);
// Whether an If-None-Match header value matches `etag` (a list, W/ prefixes, or "*").
bool etagMatches(std::string_view ifNoneMatch, std::string_view etag);

}  // namespace codestats::web
