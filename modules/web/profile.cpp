#include "profile.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "api_users.hpp"
#include "assets.hpp"
#include "db_util.hpp"
#include "profile_view.hpp"

namespace codestats::web {
namespace {

constexpr size_t kTopLanguages = 10;  // the rest go to "Other languages" (§7.10)

Data levelItems(const std::vector<RecentXp>& items, size_t from, size_t to, const char* suffix) {
  Data list{Data::type::list};
  for (size_t i = from; i < std::min(to, items.size()); ++i) {
    Data d;
    d.set("name", items[i].name);
    d.set("text", levelText(items[i].xp, items[i].newXp, items[i].name + suffix));
    d.set("bar", xpBarSvg(items[i].xp, items[i].newXp));
    list.push_back(d);
  }
  return list;
}

struct FrontPageData {
  int64_t totalXp = 0;
  std::vector<std::pair<std::string, int64_t>> languages24h;  // largest first
};

// cache.v1 `frontpage` when the cache module is loaded, else the DB (§7.1, docs/web.md).
FrontPageData frontPageData(App& app) {
  FrontPageData f;
  if (auto answer = app.host().call("cache", 1, "frontpage", "{}")) {
    Poco::JSON::Parser parser;
    auto root = parser.parse(*answer).extract<Poco::JSON::Object::Ptr>();
    f.totalXp = root->optValue<int64_t>("total_xp", 0);
    if (auto langs = root->getObject("languages_24h"))
      for (const auto& [name, xp] : *langs) f.languages24h.emplace_back(name, xp.convert<int64_t>());
  } else if (tableExists(app.host(), "user_totals")) {
    auto t = app.host().query("SELECT COALESCE(SUM(xp), 0) FROM user_totals");
    f.totalXp = t.empty() ? 0 : t[0].i64(0);
    auto r = app.host().query(
        "SELECT l.name, SUM(x.amount) FROM pulses p JOIN xps x ON x.pulse_id = p.id JOIN languages l ON l.id = "
        "x.language_id WHERE p.sent_at >= $1 GROUP BY l.name",
        {nowMs() - int64_t{24} * 3600 * 1000});
    for (size_t i = 0; i < r.size(); ++i) f.languages24h.emplace_back(std::string(r[i].text(0)), r[i].i64(1));
  }
  std::sort(f.languages24h.begin(), f.languages24h.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return f;
}

}  // namespace

void homePage(App& app, Ctx& c) {
  FrontPageData f = frontPageData(app);
  Data languages{Data::type::list}, mostActive{Data::type::list};
  for (size_t i = 0; i < f.languages24h.size(); ++i) {
    Data d;
    d.set("name", f.languages24h[i].first);
    d.set("xp", formatXp(f.languages24h[i].second));
    d.set("xp_raw", std::to_string(f.languages24h[i].second));
    languages.push_back(d);
    if (i < 10) mostActive.push_back(d);
  }
  Data d;
  d.set("logged_in", c.user.has_value());
  d.set("total_xp", formatXp(f.totalXp));
  d.set("total_xp_raw", std::to_string(f.totalXp));
  d.set("languages", languages);
  d.set("most_active", mostActive);
  d.set("land_url", assetPath("land-110m.json"));  // the map's land shapes (docs/frontend.md)
  if (auto example = app.exampleProfile().username(nowMs())) {
    d.set("has_example_profile", true);
    d.set("example_profile_path", encodePathSegment(*example));
  }
  app.pages().render(c, 200, "home", d, "");
}

void profilePage(App& app, Ctx& c) {
  auto n = lookupName(c.req.param("name").value_or(""));
  if (n.name.empty()) return app.pages().notFound(c);
  std::optional<std::string> viewer;
  if (c.user) viewer = c.user->username;
  // An anonymous view (no session, nothing to flash) is the same page for everyone: it is
  // kept with the data's stamp and sent again while the stamp holds.
  const bool anonymous = !c.user && c.sessionHash.empty() && c.flashes.empty();
  const std::string key = anonymous ? "page:" + n.decoded : std::string();
  auto read = app.readProfile(key, n.name, viewer);
  if (read.keptBody) return app.pages().sendHtml(c, 200, *read.keptBody);
  if (!read.data) return app.pages().notFound(c);
  const ProfileData* p = &*read.data;
  if (n.decoded != p->username) return app.pages().redirect(c, "/users/" + encodePathSegment(p->username));

  Data d;
  d.set("username", p->username);
  d.set("avatar", p->avatar);
  d.set("avatar_path", encodePathSegment(p->username));
  {
    time_t t = static_cast<time_t>(p->registeredMs / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    d.set("since_iso", isoDate((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday));
  }
  d.set("since_text", monthDayYear(p->registeredMs));
  if (!p->dates.empty()) d.set("last_programmed", isoDate(p->dates.back().first));
  d.set("total_xp", std::to_string(p->totalXp));
  d.set("new_xp", std::to_string(p->newXp));
  d.set("level_text", levelText(p->totalXp, p->newXp));
  d.set("bar", xpBarSvg(p->totalXp, p->newXp));
  d.set("no_xp", p->totalXp == 0);
  d.set("own", c.user && c.user->id == p->userId);
  d.set("top_languages", levelItems(p->languages, 0, kTopLanguages, " level"));
  d.set("other_languages", levelItems(p->languages, kTopLanguages, p->languages.size(), " level"));
  d.set("machines", levelItems(p->machines, 0, p->machines.size(), " level"));

  std::array<int64_t, 24> hours{};
  for (const auto& [h, xp] : p->hours)
    if (h >= 0 && h < 24) hours[static_cast<size_t>(h)] = xp;
  Data hourList{Data::type::list};
  for (size_t h = 0; h < 24; ++h) {
    Data item;
    item.set("hour", std::to_string(h));
    item.set("xp", formatXp(hours[h]));
    hourList.push_back(item);
  }
  d.set("hours", hourList);

  // 366 cells written directly: a mustache section per cell cost more than the rest of the page.
  auto year = dayOfYear(*p);
  int64_t max = *std::max_element(year.begin() + 1, year.end());
  std::string cells;
  cells.reserve(366 * 64);
  for (size_t day = 1; day <= 366; ++day)
    cells += "<span class=\"day heat-" + std::to_string(heatStep(year[day], max)) + "\" title=\"" +
             dayOfYearLabel(day) + ": " + formatXp(year[day]) + " XP\"></span>";
  d.set("year_cells", cells);
  std::string html = app.pages().renderHtml(c, "profile", d, p->username);
  app.pages().sendHtml(c, 200, html);
  app.keepBody(key, *p, std::move(html));
}

}  // namespace codestats::web
