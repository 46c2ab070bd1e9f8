#include "views.hpp"

#include <stdexcept>
#include <string_view>

#include "web_templates_embedded.hpp"

namespace codestats::web {
namespace {

std::string_view source(const std::string& name) {
  for (const auto& t : embedded::kTemplates)
    if (name == t.name) return t.source;
  throw std::invalid_argument("no template '" + name + "'");
}

std::string render(const std::string& name, const Data& data) {
  kainjow::mustache::mustache m{std::string(source(name))};
  if (!m.is_valid()) throw std::runtime_error("template " + name + ": " + m.error_message());
  return m.render(data);
}

}  // namespace

std::string renderPage(const std::string& page, const Data& data, const Data& layout) {
  Data full = layout;
  full.set("body", render(page, data));
  return render("layout", full);
}

std::string renderStandalone(const std::string& page, const Data& data) { return render(page, data); }

void addPartial(Data& data, const std::string& name) {
  std::string_view text = source(name);
  data.set(name, kainjow::mustache::partial([text] { return std::string(text); }));
}

}  // namespace codestats::web
