// cs_http_req's header fields (abi/exchange.hpp): the order req_header_at shows modules is
// the order of the Poco NameValueCollection the host handed them before.
#include <Poco/Net/NameValueCollection.h>
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "abi/exchange.hpp"

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields viaPoco(const Fields& wire) {
  Poco::Net::NameValueCollection c;
  for (const auto& [n, v] : wire) c.add(n, v);
  Fields out;
  for (const auto& field : c) out.emplace_back(field.first, field.second);
  return out;
}

Fields viaRequest(const Fields& wire) {
  cs_http_req req;
  for (const auto& [n, v] : wire) req.addHeader(n, v);
  return req.headers;
}

}  // namespace

TEST_CASE("request header fields keep the order of a Poco NameValueCollection", "[exchange]") {
  const std::vector<Fields> heads = {
      {},
      {{"Host", "a"}},
      {{"Host", "a"}, {"Accept", "x"}, {"Cookie", "1"}},
      {{"Cookie", "1"}, {"Host", "a"}, {"cookie", "2"}, {"Accept", "x"}, {"COOKIE", "3"}},
      {{"A", "1"}, {"B", "2"}, {"a", "3"}, {"b", "4"}, {"C", "5"}, {"A", "6"}},
      {{"X-Forwarded-For", "1.2.3.4"}, {"x-forwarded-for", "5.6.7.8"}, {"Host", "h"}},
  };
  for (const auto& wire : heads) CHECK(viaRequest(wire) == viaPoco(wire));
}

TEST_CASE("request header fields: a repeated name's fields stay together, in arrival order", "[exchange]") {
  cs_http_req req;
  req.addHeader("Cookie", "1");
  req.addHeader("Host", "a");
  req.addHeader("cookie", "2");
  CHECK(req.headers == Fields{{"Cookie", "1"}, {"cookie", "2"}, {"Host", "a"}});
}
