// The page templates (kainjow mustache files under templates/, compiled into the module by
// CMake so a rebuilt and reloaded module serves the edited pages) and the layout around them.
#pragma once

#include <string>

#include "app.hpp"

namespace codestats::web {

// Renders templates/<page>.mustache with `data`, inside templates/layout.mustache.
std::string renderPage(const std::string& page, const Data& data, const Data& layout);
// Renders a template that is a whole document by itself (the GraphiQL page).
std::string renderStandalone(const std::string& page, const Data& data);
// Makes templates/<name>.mustache available to `data`'s template as the partial {{>name}}
// (one text in two pages: the terms on /tos and on the consent page).
void addPartial(Data& data, const std::string& name);

}  // namespace codestats::web
