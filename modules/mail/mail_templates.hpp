// Mail templates: mustache (kainjow) text and HTML bodies, loaded when the module instance
// is created, so a module reload picks up edited template files.
#pragma once

#include <map>
#include <string>

namespace codestats::mail {

struct TemplatePair {
  std::string text;  // mustache source of the text/plain body ({{{x}}}: not HTML-escaped)
  std::string html;  // mustache source of the text/html body ({{x}}: HTML-escaped)
};

// Throws std::invalid_argument with the parser's message when `source` is not valid mustache.
void checkTemplate(const std::string& name, const std::string& source);

// Renders `source` with string variables.
std::string renderTemplate(const std::string& source, const std::map<std::string, std::string>& vars);

// Subject of the password-reset mail (codestats.md §7.6).
constexpr char kPasswordResetSubject[] = "Code::Stats password reset request";

}  // namespace codestats::mail
