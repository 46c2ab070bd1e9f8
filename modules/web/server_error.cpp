#include "server_error.hpp"

#include <codestats/accept.hpp>

namespace codestats::web {

void serverError(const Request& req, Response& resp) {
  if (errorForm(req.header("Accept")) == ErrorForm::Json) {
    resp.json(500, R"({"error":"The server some kind of exploded."})");
    return;
  }
  resp.status(500).header("Content-Type", "text/html; charset=utf-8");
  resp.write(
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Code::Stats has died</title></head><body>"
      "<h1>500 Internal server error</h1><p>The server some kind of exploded.</p></body></html>\n");
}

}  // namespace codestats::web
