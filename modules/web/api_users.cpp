#include "api_users.hpp"

#include "app.hpp"
#include "badge_svg.hpp"
#include "common/ascii.hpp"
#include "forms.hpp"
#include "profile_json.hpp"

namespace codestats::web {
namespace {

void cors(Response& resp) {
  resp.header("Access-Control-Allow-Origin", "*");
  resp.header("Access-Control-Allow-Methods", "HEAD, GET");
}

}  // namespace

LookupName lookupName(std::string_view segment) {
  LookupName n;
  n.decoded = urlDecode(segment, false);
  n.name = n.decoded;
  for (char& ch : n.name)
    if (ch == '+') ch = ' ';
  return n;
}

void apiUser(App& app, const Request& req, Response& resp) {
  cors(resp);
  // The api pipeline's negotiation (spec §2.2): an Accept without JSON or */* is a 406.
  if (!acceptAllows(req.header("Accept"), "application/json")) {
    resp.json(406, R"({"error":"Not acceptable: this API answers application/json."})");
    return;
  }
  resp.header("Cache-Control", "no-cache");
  auto n = lookupName(req.param("name").value_or(""));
  auto notFound = [&] { resp.json(404, R"({"error":"User not found or private."})"); };
  if (n.name.empty()) return notFound();
  // Session auth is not used here: a private profile is served to nobody (§4).
  const std::string key = "api:" + n.decoded;
  auto read = app.readProfile(key, n.name, std::nullopt);
  auto ok = [&](const std::string& body) {
    resp.status(200).header("Content-Type", "application/json; charset=utf-8").write(body);
  };
  if (read.keptBody) return ok(*read.keptBody);
  if (!read.data) return notFound();
  const ProfileData& p = *read.data;
  if (n.decoded != p.username) {
    resp.status(302).header("Location", "/api/users/" + encodePathSegment(p.username));
    resp.json(302, R"({"error":"The user's name is spelled differently; follow Location."})");
    return;
  }
  std::string body = apiUserJson(p);
  ok(body);
  app.keepBody(key, p, std::move(body));
}

void profileBadge(App& app, const Request& req, Response& resp) {
  auto n = lookupName(req.param("name").value_or(""));
  const Form query = parseForm(req.query());
  auto it = query.find("language");
  std::optional<std::string> language;
  if (it != query.end() && !it->second.empty()) language = it->second;
  auto notFound = [&](const char* body) { resp.json(404, body); };
  if (n.name.empty()) return notFound(R"({"error":"User not found or private."})");
  // Kept by stamp like the API body; a badge per user and language.
  const std::string key = "badge:" + n.decoded + (language ? "\n" + *language : std::string());
  auto read = app.readProfile(key, n.name, std::nullopt);
  auto ok = [&](const std::string& body) {
    resp.status(200)
        .header("Content-Type", "image/svg+xml; charset=utf-8")
        .header("Cache-Control", "public, max-age=300")
        .header("Access-Control-Allow-Origin", "*")
        .write(body);
  };
  if (read.keptBody) return ok(*read.keptBody);
  if (!read.data) return notFound(R"({"error":"User not found or private."})");
  const ProfileData& p = *read.data;
  std::string body;
  if (!language) {
    body = badgeSvg("code::stats " + p.username, badgeValue(p.totalXp));
  } else {
    const RecentXp* found = nullptr;
    for (const auto& l : p.languages)
      if (common::lowerAscii(l.name) == common::lowerAscii(*language)) found = &l;
    if (!found) return notFound(R"({"error":"The user has no XP in that language."})");
    body = badgeSvg(found->name, badgeValue(found->xp));
  }
  ok(body);
  app.keepBody(key, p, std::move(body));
}

void apiUserPreflight(const Request&, Response& resp) {
  cors(resp);
  resp.header("Access-Control-Max-Age", "86400");
  resp.status(204);
}

}  // namespace codestats::web
