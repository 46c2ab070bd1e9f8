#include "profile.hpp"

#include "db_util.hpp"

namespace codestats::web {

std::string formatXp(int64_t xp) {
  std::string digits = std::to_string(xp < 0 ? -xp : xp), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return xp < 0 ? "-" + out : out;
}

void homePage(App& app, Ctx& c) {
  Data d;
  d.set("logged_in", c.user.has_value());
  app.render(c, 200, "home", d, "");
}

void profilePage(App& app, Ctx& c) {
  std::string raw = urlDecode(c.req.param("name").value_or(""), false);
  std::string wanted = raw;
  for (char& ch : wanted)
    if (ch == '+') ch = ' ';
  auto user = app.userByNameCaseless(wanted);
  if (!user || (user->privateProfile && !(c.user && c.user->id == user->id))) return app.notFound(c);
  if (raw != user->username) return app.redirect(c, "/users/" + encodePathSegment(user->username));

  int64_t total = 0;
  Data languages{Data::type::list};
  if (tableExists(app.host(), "user_totals")) {
    auto t = app.host().query("SELECT xp FROM user_totals WHERE user_id = $1", {user->id});
    if (!t.empty()) total = t[0].i64(0);
    auto r = app.host().query(
        "SELECT l.name, x.xp FROM user_language_xps x JOIN languages l ON l.id = x.language_id WHERE x.user_id = $1 "
        "AND x.xp > 0 ORDER BY x.xp DESC, l.name",
        {user->id});
    for (size_t i = 0; i < r.size(); ++i) {
      Data d;
      d.set("name", std::string(r[i].text(0)));
      d.set("xp", formatXp(r[i].i64(1)));
      languages.push_back(d);
    }
  }
  Data d;
  d.set("username", user->username);
  d.set("total_xp", formatXp(total));
  d.set("total_xp_raw", std::to_string(total));
  d.set("languages", languages);
  d.set("no_xp", total == 0);
  d.set("own", c.user && c.user->id == user->id);
  app.render(c, 200, "profile", d, user->username);
}

}  // namespace codestats::web
