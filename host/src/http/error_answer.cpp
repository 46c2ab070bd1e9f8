#include "http/error_answer.hpp"

#include <codestats/accept.hpp>
#include <codestats/json.hpp>

#include "abi/exchange.hpp"
#include "util/ascii_case.hpp"

namespace codestats::host {
namespace {

struct ErrorText {
  const char* json;     // the JSON answer's error
  const char* heading;  // the page's title and heading
  const char* text;
};

ErrorText textFor(int status) {
  switch (status) {
    case 404: return {"Not found", "Not found", "The page you were looking for does not exist."};
    case 405:
      return {"Method not allowed", "Method not allowed", "This page cannot be used with the method of your request."};
    default:
      return {"Internal server error", "Internal server error",
              "Something went wrong on the server while answering this request. Please try again later."};
  }
}

}  // namespace

ErrorAnswer errorAnswer(std::optional<std::string_view> accept, int status, const std::string& requestId) {
  const ErrorText t = textFor(status);
  const bool withId = status >= 500 && !requestId.empty();
  ErrorAnswer a;
  a.status = status;
  if (codestats::errorForm(accept) == codestats::ErrorForm::Json) {
    a.headers = {{"X-Content-Type-Options", "nosniff"}, {"Content-Type", "application/json"}};
    a.body = std::string(R"({"error":")") + t.json + "\"";
    if (withId) a.body += R"(,"request_id":)" + codestats::jsonString(requestId);
    a.body += "}";
    return a;
  }
  // The request id is hex digits only (RequestIds): nothing in it needs escaping.
  a.headers = {{"X-Content-Type-Options", "nosniff"}, {"Content-Type", "text/html; charset=utf-8"}};
  a.body = std::string("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>") + t.heading +
           "</title></head><body><h1>" + t.heading + "</h1><p>" + t.text + "</p>";
  if (withId) a.body += "<p>Request id: <code>" + requestId + "</code></p>";
  a.body += "</body></html>\n";
  return a;
}

std::optional<std::string_view> acceptOf(const cs_http_req& req) {
  for (const auto& [name, value] : req.headers)
    if (equalsIgnoringAsciiCase(name, "Accept")) return std::string_view(value);
  return std::nullopt;
}

}  // namespace codestats::host
