// HTTP form, query-string and cookie parsing, and URL encoding for the web module.
// Pure logic: no SDK, unit-tested in tests/forms_test.cpp.
#pragma once

#include <codestats/accept.hpp>
#include <codestats/text.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::web {

// Percent-decoding (a malformed escape such as `%zz` is kept literally, as browsers and Plug
// do) and strict UTF-8 validation: the SDK's shared helpers.
using codestats::urlDecode;
using codestats::validUtf8;

// application/x-www-form-urlencoded (also query strings). Later duplicates win, like Plug.
using Form = std::map<std::string, std::string>;
Form parseForm(std::string_view body);

// Cookie request header -> name/value pairs (first occurrence of a name wins).
std::map<std::string, std::string> parseCookies(std::string_view header);

// Percent-encodes everything that is not RFC 3986 unreserved (spec §2.4).
std::string encodePathSegment(std::string_view s);

// Whether an Accept header allows `type` ("text/html", "text/csv"): absent, */*, type/* or
// the exact type (spec §2.2): the SDK's, shared with ingest and the host.
using codestats::acceptAllows;

}  // namespace codestats::web
