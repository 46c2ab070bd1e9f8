#include "mail_templates.hpp"

#include <kainjow/mustache.hpp>

#include <stdexcept>

namespace codestats::mail {

void checkTemplate(const std::string& name, const std::string& source) {
  kainjow::mustache::mustache m(source);
  if (!m.is_valid()) throw std::invalid_argument("mail template " + name + ": " + m.error_message());
}

std::string renderTemplate(const std::string& source, const std::map<std::string, std::string>& vars) {
  kainjow::mustache::mustache m(source);
  if (!m.is_valid()) throw std::invalid_argument("mail template: " + m.error_message());
  kainjow::mustache::data d;
  for (const auto& [k, v] : vars) d.set(k, v);
  return m.render(d);
}

}  // namespace codestats::mail
