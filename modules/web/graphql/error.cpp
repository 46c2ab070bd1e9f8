#include "error.hpp"

#include <codestats/json.hpp>

namespace codestats::graphql {

std::string errorJson(const GraphqlError& error) {
  std::string out = "{\"message\":" + jsonString(error.message);
  if (!error.locations.empty()) {
    out += ",\"locations\":[";
    for (size_t k = 0; k < error.locations.size(); ++k) {
      if (k) out += ',';
      out += "{\"line\":" + std::to_string(error.locations[k].line) +
             ",\"column\":" + std::to_string(error.locations[k].column) + "}";
    }
    out += ']';
  }
  if (!error.path.empty()) {
    out += ",\"path\":[";
    for (size_t k = 0; k < error.path.size(); ++k) {
      if (k) out += ',';
      if (const auto* key = std::get_if<std::string>(&error.path[k])) out += jsonString(*key);
      else out += std::to_string(std::get<int64_t>(error.path[k]));
    }
    out += ']';
  }
  return out + "}";
}

std::string errorsResponse(const std::vector<GraphqlError>& errors) {
  std::string out = "{\"errors\":[";
  for (size_t k = 0; k < errors.size(); ++k) {
    if (k) out += ',';
    out += errorJson(errors[k]);
  }
  return out + "]}";
}

}  // namespace codestats::graphql
