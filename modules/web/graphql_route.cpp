#include "graphql_route.hpp"

#include "graphql/transport.hpp"
#include "graphql_source.hpp"

namespace codestats::web {

void profileGraph(App& app, ProfileStore& store, const Request& req, Response& resp) {
  // Outside the HTML pipeline: no CSRF check (it only reads), JSON Accept headers are
  // served; the session is read so an owner sees their private profile (§9.1).
  std::optional<std::string> viewer;
  if (auto user = app.sessions().sessionUser(req, resp)) viewer = user->username;
  int64_t now = nowMs();
  StoreProfileSource source(store, viewer, now);
  auto r = graphql::handleGraphqlHttp({req.method(), req.header("Content-Type").value_or(""),
                                       req.header("Accept").value_or(""), req.query(), req.body()},
                                      source, {viewer, now});
  for (const auto& e : r.internalErrors) app.host().error("profile-graph request " + std::string(req.id()) + ": " + e);
  resp.status(r.status).header("Content-Type", r.contentType).header("Cache-Control", "no-store").write(r.body);
}

}  // namespace codestats::web
