#include "admin_client.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace codestats::host::ctl {

Reply AdminClient::call(const std::string& method, const std::string& path, const std::string& body) const {
  Poco::URI uri(baseUrl_);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  // An import batch or a rebuild may take minutes on a slow disk.
  session.setTimeout(Poco::Timespan(600, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", "Bearer " + token_);
  if (!body.empty() || method == "POST") {
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  try {
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    Reply r;
    r.status = resp.getStatus();
    Poco::StreamCopier::copyToString(in, r.body);
    return r;
  } catch (const Poco::Exception& e) {
    std::cerr << "codestatsctl: cannot reach the admin API at " << baseUrl_ << ": " << e.displayText() << "\n";
    std::exit(1);
  }
}

CommandResult AdminClient::run(const std::string& command, const std::vector<std::string>& args) const {
  rapidjson::StringBuffer body;
  rapidjson::Writer<rapidjson::StringBuffer> w(body);
  w.StartObject();
  w.Key("args");
  w.StartArray();
  for (const auto& a : args) w.String(a.data(), static_cast<rapidjson::SizeType>(a.size()));
  w.EndArray();
  w.EndObject();
  Reply r = call("POST", "/admin/commands/" + command, std::string(body.GetString(), body.GetSize()));
  CommandResult out;
  out.status = r.status;
  try {
    auto o = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
    out.output = o->optValue<std::string>("output", "");
    out.error = o->optValue<std::string>("error", "");
  } catch (const Poco::Exception&) {
    out.error = r.body;
  }
  if (!out.ok() && out.error.empty()) out.error = "status " + std::to_string(r.status);
  return out;
}

}  // namespace codestats::host::ctl
