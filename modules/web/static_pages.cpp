#include "static_pages.hpp"

#include <map>

#include "db_util.hpp"
#include "views.hpp"

namespace codestats::web {
namespace {

// The server's own address for the examples: base_url, else the request's Host.
Data withBase(App& app, Ctx& c) {
  Data d;
  d.set("base_url", app.pages().absoluteUrl(c, ""));
  return d;
}

}  // namespace

void apiDocsPage(App& app, Ctx& c) {
  Data d = withBase(app, c);
  app.pages().render(c, 200, "api_docs", d, "API docs");
}

void pluginsPage(App& app, Ctx& c) {
  Data d = withBase(app, c);
  app.pages().render(c, 200, "plugins", d, "Plugins");
}

void changesPage(App& app, Ctx& c) {
  Data d;
  app.pages().render(c, 200, "changes", d, "Changes");
}

void tosPage(App& app, Ctx& c) {
  Data d;
  addPartial(d, "terms");
  app.pages().render(c, 200, "tos", d, "Legal");
}

void supportPage(App& app, Ctx& c) {
  const WebConfig& config = app.config();
  Data d;
  d.set("has_contact", !config.supportEmail.empty() || !config.supportUrl.empty());
  d.set("has_email", !config.supportEmail.empty());
  d.set("support_email", config.supportEmail);
  d.set("has_url", !config.supportUrl.empty());
  d.set("support_url", config.supportUrl);
  app.pages().render(c, 200, "support", d, "Support");
}

void aliasesPage(App& app, Ctx& c) {
  Data languages{Data::type::list};
  if (tableExists(app.host(), "languages")) {
    // Every language that is not an alias, in DB order, with the names aliased to it (§7.12).
    auto r = app.host().query("SELECT id, name, alias_of FROM languages ORDER BY id");
    std::map<int64_t, std::vector<std::string>> aliases;
    for (size_t i = 0; i < r.size(); ++i)
      if (!r[i].isNull(2)) aliases[r[i].i64(2)].push_back(std::string(r[i].text(1)));
    for (size_t i = 0; i < r.size(); ++i) {
      if (!r[i].isNull(2)) continue;
      Data lang;
      lang.set("name", std::string(r[i].text(1)));
      Data names{Data::type::list};
      for (const auto& a : aliases[r[i].i64(0)]) names.push_back(Data("name", a));
      lang.set("has_aliases", !aliases[r[i].i64(0)].empty());
      lang.set("aliases", names);
      languages.push_back(lang);
    }
  }
  Data d;
  d.set("languages", languages);
  app.pages().render(c, 200, "aliases", d, "Language aliases");
}

}  // namespace codestats::web
