#include "api_users.hpp"

#include "app.hpp"
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

void apiUser(ProfileStore& store, const Request& req, Response& resp) {
  cors(resp);
  resp.header("Cache-Control", "no-cache");
  auto n = lookupName(req.param("name").value_or(""));
  // Session auth is not used here: a private profile is served to nobody (§4).
  auto p = n.name.empty() ? std::nullopt : store.load(n.name, true, std::nullopt, nowMs());
  if (!p) {
    resp.json(404, R"({"error":"User not found or private."})");
    return;
  }
  if (n.decoded != p->username) {
    resp.status(302).header("Location", "/api/users/" + encodePathSegment(p->username));
    resp.json(302, R"({"error":"The user's name is spelled differently; follow Location."})");
    return;
  }
  resp.status(200).header("Content-Type", "application/json; charset=utf-8").write(apiUserJson(*p));
}

void apiUserPreflight(const Request&, Response& resp) {
  cors(resp);
  resp.header("Access-Control-Max-Age", "86400");
  resp.status(204);
}

}  // namespace codestats::web
