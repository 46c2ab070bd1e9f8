// The information pages of spec §7.12: /api-docs, /plugins, /changes, /aliases, /tos, and
// /support with the operator's contact (modules.web.support_email, support_url).
#pragma once

#include "app.hpp"

namespace codestats::web {

void apiDocsPage(App& app, Ctx& c);
void pluginsPage(App& app, Ctx& c);
void changesPage(App& app, Ctx& c);
void aliasesPage(App& app, Ctx& c);
void tosPage(App& app, Ctx& c);
void supportPage(App& app, Ctx& c);

}  // namespace codestats::web
