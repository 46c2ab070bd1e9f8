// The request and response objects behind the ABI's opaque cs_http_req / cs_http_resp.
// Built by the public HTTP server for one call; nothing here outlives the request.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "http/RoutePattern.hpp"

namespace Poco::Net {
class NameValueCollection;
}

struct cs_http_req {
  std::string method;
  std::string target;
  std::string path;
  std::string query;
  std::string body;
  std::string remoteAddr;
  std::string requestId;
  const Poco::Net::NameValueCollection* headers = nullptr;
  codestatsd::RouteParams params;
};

struct cs_http_resp {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct cs_buf {
  std::string data;
};
