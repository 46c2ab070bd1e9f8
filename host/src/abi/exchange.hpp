// The request and response objects behind the ABI's opaque cs_http_req / cs_http_resp, and
// its cs_buf. Filled by the public HTTP server's two lanes (http/) for one call; nothing here
// outlives the request, and nothing here is a Poco type: modules read these only through the
// C function table (abi/host_api.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "util/ascii_case.hpp"

struct cs_http_req {
  using Fields = std::vector<std::pair<std::string, std::string>>;

  std::string method;
  std::string target;
  std::string path;
  std::string query;
  std::string body;
  std::string remoteAddr;
  std::string requestId;
  // The head's fields as req_header / req_header_at show them: in the order they came, except
  // that a repeated name's fields stay together at its first occurrence (names compared
  // without regard to ASCII case). That is the order of the Poco NameValueCollection the
  // requests were read from before (ABI 1.0 to 1.4); addHeader keeps it.
  Fields headers;
  std::vector<std::pair<std::string, std::string>> params;  // the route's captures (RouteParams)

  void addHeader(std::string name, std::string value) {
    auto it = headers.begin();
    while (it != headers.end() && !codestats::host::equalsIgnoringAsciiCase(it->first, name)) ++it;
    while (it != headers.end() && codestats::host::equalsIgnoringAsciiCase(it->first, name)) ++it;
    headers.emplace(it, std::move(name), std::move(value));
  }
};

struct cs_http_resp {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // resp_fail (ABI 1.5): the lanes answer 500 as for a failed call, whatever is set above.
  bool failed = false;
  std::string failure;
};

struct cs_buf {
  std::string data;
};
