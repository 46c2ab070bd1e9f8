#include "transport.hpp"

#include <codestats/text.hpp>

#include <optional>

#include "common/ascii.hpp"
#include "engine.hpp"
#include "json_input.hpp"
#include "limits.hpp"
#include "utf8.hpp"

namespace codestats::graphql {
namespace {

using common::lowerAscii;
using common::trimSpaceTab;  // HTTP optional whitespace: spaces and tabs

// The media type without parameters, lower-cased: "application/json".
std::string mediaType(std::string_view header) { return lowerAscii(trimSpaceTab(header.substr(0, header.find(';')))); }

GraphqlHttpResponse failure(int status, const std::string& message) {
  GraphqlHttpResponse r;
  r.status = status;
  r.body = errorsResponse({{message, {}, {}}});
  return r;
}

// True when some media range of the Accept header (with q > 0) admits a JSON response.
// Absent means anything; text/html stays accepted, as the original served the route in its
// HTML pipeline (and bundled pages send the browser's default Accept).
bool acceptsJson(std::string_view accept) {
  if (trimSpaceTab(accept).empty()) return true;
  size_t start = 0;
  while (start <= accept.size()) {
    size_t end = accept.find(',', start);
    if (end == std::string_view::npos) end = accept.size();
    const std::string_view range = accept.substr(start, end - start);
    start = end + 1;
    const std::string type = mediaType(range);
    bool zero = false;
    for (size_t p = range.find(';'); p != std::string_view::npos; p = range.find(';', p + 1)) {
      const std::string param = lowerAscii(trimSpaceTab(range.substr(p + 1, range.find(';', p + 1) - p - 1)));
      if (param.rfind("q=", 0) == 0 && param.find_first_not_of("0.", 2) == std::string::npos) zero = true;
    }
    if (zero) continue;
    if (type == "*/*" || type == "application/*" || type == "application/json" ||
        type == "application/graphql-response+json" || type == "text/html" || type == "text/*")
      return true;
  }
  return false;
}

// The parameters of a GraphQL request, whatever carried them.
struct Params {
  std::optional<std::string> query;
  std::optional<Value> variables;
  std::optional<std::string> operationName;
};

// Reads query/variables/operationName from a URL query or form body; the JSON text of
// `variables` is decoded here. Returns an error message or empty.
std::string readForm(std::string_view form, Params& params) {
  size_t start = 0;
  while (start < form.size()) {
    size_t end = form.find('&', start);
    if (end == std::string_view::npos) end = form.size();
    const std::string_view pair = form.substr(start, end - start);
    start = end + 1;
    const size_t eq = pair.find('=');
    const std::string key = codestats::urlDecode(pair.substr(0, eq));
    const std::string value = eq == std::string_view::npos ? "" : codestats::urlDecode(pair.substr(eq + 1));
    if (!isValidUtf8(value)) return "Parameter \"" + key + "\" is not valid UTF-8.";
    if (key == "query") {
      params.query = value;
    } else if (key == "operationName") {
      params.operationName = value;
    } else if (key == "variables" && !trimSpaceTab(value).empty()) {
      std::string error;
      std::optional<Value> v = parseJson(value, error);
      if (!v) return "Parameter \"variables\" is not valid JSON: " + error;
      params.variables = std::move(*v);
    }
  }
  return {};
}

// Reads the members of one JSON request object. Returns an error message or empty.
std::string readJsonObject(const Value& object, Params& params) {
  for (const auto& [key, value] : object.fields) {
    if (key == "query") {
      if (value.kind == Value::Kind::Null) continue;
      if (value.kind != Value::Kind::String) return "\"query\" must be a string.";
      params.query = value.text;
    } else if (key == "operationName") {
      if (value.kind == Value::Kind::Null) continue;
      if (value.kind != Value::Kind::String) return "\"operationName\" must be a string or null.";
      params.operationName = value.text;
    } else if (key == "variables") {
      if (value.kind == Value::Kind::String) {  // some clients send the variables as JSON text
        if (trimSpaceTab(value.text).empty()) continue;
        std::string error;
        std::optional<Value> v = parseJson(value.text, error);
        if (!v) return "\"variables\" is not valid JSON: " + error;
        params.variables = std::move(*v);
      } else {
        params.variables = value;
      }
    }
  }
  return {};
}

// Runs one request's parameters through the engine: status 400 or 200 with the result.
GraphqlHttpResponse run(Params params, ProfileSource& source, const ExecutionContext& context) {
  if (!params.query || trimSpaceTab(*params.query).empty()) return failure(400, "No query document supplied.");
  if (params.variables && params.variables->kind != Value::Kind::Object && params.variables->kind != Value::Kind::Null)
    return failure(400, "\"variables\" must be a JSON object or null.");
  GraphqlRequest request{*params.query, params.variables.value_or(Value{}), params.operationName.value_or("")};
  ExecutionResult result = runGraphql(request, source, context);
  GraphqlHttpResponse r;
  r.body = std::move(result.json);
  r.internalErrors = std::move(result.internalErrors);
  return r;
}

GraphqlHttpResponse runBatch(const Value& batch, ProfileSource& source, const ExecutionContext& context) {
  if (batch.list.empty()) return failure(400, "The batch is empty.");
  if (batch.list.size() > kMaxBatchSize)
    return failure(400, "Too many operations in one batch (at most " + std::to_string(kMaxBatchSize) + ").");
  GraphqlHttpResponse r;
  r.body = "[";
  for (size_t k = 0; k < batch.list.size(); ++k) {
    Params params;
    GraphqlHttpResponse one;
    if (batch.list[k].kind != Value::Kind::Object) {
      one = failure(400, "Each batch entry must be a JSON object.");
    } else if (std::string error = readJsonObject(batch.list[k], params); !error.empty()) {
      one = failure(400, error);
    } else {
      one = run(std::move(params), source, context);
    }
    r.body += (k ? "," : "") + one.body;
    r.internalErrors.insert(r.internalErrors.end(), one.internalErrors.begin(), one.internalErrors.end());
  }
  r.body += "]";
  return r;
}

}  // namespace

GraphqlHttpResponse handleGraphqlHttp(const GraphqlHttpRequest& request, ProfileSource& source,
                                      const ExecutionContext& context) {
  // HEAD is answered like GET (the host drops the body).
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (!get && request.method != "POST") return failure(405, "Method not allowed; use GET or POST.");
  if (!acceptsJson(request.accept)) return failure(406, "Not acceptable: this endpoint answers application/json.");
  if (request.body.size() > kMaxBodyBytes)
    return failure(413, "Request body is too large (at most " + std::to_string(kMaxBodyBytes) + " bytes).");

  // URL parameters first; POST body parameters take precedence (as Plug merges them).
  Params params;
  if (std::string error = readForm(request.queryString, params); !error.empty()) return failure(400, error);
  if (get) return run(std::move(params), source, context);

  const std::string type = mediaType(request.contentType);
  const bool json = type == "application/json" || (type.size() > 5 && type.ends_with("+json"));
  if (json) {
    // Poco's parser reads only objects and arrays at the top; say so in plain words.
    const size_t first = request.body.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || (request.body[first] != '{' && request.body[first] != '['))
      return failure(400, "Body must be a JSON object or an array of objects.");
    std::string error;
    std::optional<Value> body = parseJson(request.body, error);
    if (!body) return failure(400, "Body is not valid JSON: " + error);
    if (body->kind == Value::Kind::List) return runBatch(*body, source, context);
    if (body->kind != Value::Kind::Object) return failure(400, "Body must be a JSON object or an array of objects.");
    if (error = readJsonObject(*body, params); !error.empty()) return failure(400, error);
    // §9.1: a parsed body without "query" is taken as the document itself.
    bool hasQuery = false;
    for (const auto& [key, value] : body->fields)
      hasQuery = hasQuery || (key == "query" && value.kind != Value::Kind::Null);
    if (!hasQuery && !params.query) params.query = std::string(request.body);
  } else if (type == "application/x-www-form-urlencoded") {
    if (std::string error = readForm(request.body, params); !error.empty()) return failure(400, error);
  } else if (!trimSpaceTab(request.body).empty()) {
    // application/graphql, text/plain (the bundled JS), or no type: the body is the document.
    if (!isValidUtf8(request.body)) return failure(400, "Body is not valid UTF-8.");
    params.query = std::string(request.body);
  }
  return run(std::move(params), source, context);
}

}  // namespace codestats::graphql
