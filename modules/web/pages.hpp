// Rendering: pages in the layout, redirects, error pages. A page's HTML is kept apart from
// sending it (renderHtml, sendHtml) so a page may keep its HTML (docs/web.md, "Kept bodies").
#pragma once

#include <codestats/sdk.hpp>

#include <string>

#include "context.hpp"
#include "sessions.hpp"
#include "validation.hpp"
#include "web_config.hpp"

namespace codestats::web {

class Pages {
 public:
  Pages(const WebConfig& config, Sessions& sessions) : config_(config), sessions_(sessions) {}

  // render() = sendHtml(renderHtml()).
  void render(Ctx& c, int status, const std::string& page, Data& data, const std::string& title);
  std::string renderHtml(Ctx& c, const std::string& page, Data& data, const std::string& title);
  void sendHtml(Ctx& c, int status, const std::string& html);
  void redirect(Ctx& c, const std::string& location);
  void redirectWithFlash(Ctx& c, const std::string& location, const std::string& kind, const std::string& text);
  void errorPage(Ctx& c, int status, const std::string& heading, const std::string& text);
  void notFound(Ctx& c);
  void forbidden(Ctx& c);
  void badRequest(Ctx& c, const std::string& text = "The request was malformed.");
  // base_url + path, or the request's Host header's.
  std::string absoluteUrl(const Ctx& c, const std::string& path) const;

  static void putErrors(Data& d, const FieldErrors& errors);

 private:
  const WebConfig& config_;
  Sessions& sessions_;
};

}  // namespace codestats::web
