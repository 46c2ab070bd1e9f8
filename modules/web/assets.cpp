#include "assets.hpp"

#include "assets_embedded.hpp"
#include "common/ascii.hpp"

namespace codestats::web {
namespace {

const embedded::EmbeddedAsset* find(std::string_view name) {
  for (size_t i = 0; i < embedded::kAssetCount; ++i)
    if (name == embedded::kAssets[i].name) return &embedded::kAssets[i];
  return nullptr;
}

}  // namespace

bool etagMatches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = common::trimSpaceTab(header.substr(0, comma));
    if (item == "*") return true;
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);  // weak comparison (RFC 9110 §13.1.2)
    if (item == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

std::string assetPath(std::string_view logical) {
  for (size_t i = 0; i < embedded::kAssetCount; ++i)
    if (logical == embedded::kAssets[i].logical) return std::string("/assets/") + embedded::kAssets[i].name;
  return {};
}

void serveAsset(const Request& req, Response& resp) {
  const auto* a = find(req.param("name").value_or(""));
  if (!a) {
    resp.status(404).header("Content-Type", "text/plain; charset=utf-8").header("Cache-Control", "no-cache");
    resp.write("Not found\n");
    return;
  }
  // The name carries the content hash: a changed file gets a new name, so this one never changes.
  resp.header("Cache-Control", "public, max-age=31536000, immutable").header("ETag", a->etag);
  resp.header("X-Content-Type-Options", "nosniff");
  if (auto inm = req.header("If-None-Match"); inm && etagMatches(*inm, a->etag)) {
    resp.status(304);
    return;
  }
  resp.status(200).header("Content-Type", a->contentType);
  resp.write(std::string_view(reinterpret_cast<const char*>(a->data), a->size));
}

}  // namespace codestats::web
