#include "not_found.hpp"

#include <codestats/accept.hpp>

namespace codestats::web {

void routeNotFound(App& app, const Request& req, Response& resp) {
  if (errorForm(req.header("Accept")) == ErrorForm::Json) {
    resp.json(404, R"({"error":"Route not found."})");
    return;
  }
  Ctx c{req, resp, std::string(req.method()), parseForm(req.query()), {}, {}, {}, {}, {}, {}};
  app.sessions().load(c);  // the header shows who is logged in
  app.pages().notFound(c);
  for (const auto& cookie : c.cookies) resp.addHeader("Set-Cookie", cookie);
}

}  // namespace codestats::web
