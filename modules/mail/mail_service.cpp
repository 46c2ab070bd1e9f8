#include "mail_service.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <map>
#include <sstream>

namespace codestats::mail {

std::string MailService::serve(std::string_view method, std::string_view req) {
  try {
    if (method == "send") return idJson(outbox_.enqueue(parseSendRequest(req)));
    if (method == "send_template") return idJson(outbox_.enqueue(fromTemplateRequest(req)));
  } catch (const InvalidMail& e) {
    throw Error(CS_E_INVALID, std::string("invalid mail: ") + e.what());
  }
  throw Error(CS_E_NOT_FOUND, "mail.v1 has no method '" + std::string(method) + "' (send, send_template)");
}

Outgoing MailService::fromTemplateRequest(std::string_view json) {
  Poco::JSON::Object::Ptr o;
  try {
    o = Poco::JSON::Parser().parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    throw InvalidMail("the request must be a JSON object {template, to, vars}");
  }
  if (!o) throw InvalidMail("the request must be a JSON object {template, to, vars}");
  std::string tmpl = o->optValue<std::string>("template", "");
  if (tmpl != "password_reset") throw InvalidMail("unknown template '" + tmpl + "' (known: password_reset)");
  auto vars = o->getObject("vars");
  if (!vars) throw InvalidMail("'vars' must be an object {username, reset_url}");
  auto var = [&](const std::string& k) -> std::string {
    if (!vars->has(k) || !vars->get(k).isString()) throw InvalidMail("'vars." + k + "' must be a string");
    std::string v = vars->get(k).extract<std::string>();
    checkHeaderValue("vars." + k, v);
    if (v.empty() || v.size() > 2048) throw InvalidMail("'vars." + k + "' must be 1 to 2048 bytes");
    return v;
  };
  std::map<std::string, std::string> values{{"username", var("username")}, {"reset_url", var("reset_url")}};
  const std::string& url = values["reset_url"];
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    throw InvalidMail("'vars.reset_url' must be an absolute http(s) URL");
  std::string site = vars->has("site_url") ? var("site_url") : siteUrl_;
  if (site.empty()) {
    Poco::URI u(url);
    site = u.getScheme() + "://" + u.getAuthority();
  }
  values["site_url"] = site;
  Poco::JSON::Object req;
  if (o->has("to")) req.set("to", o->get("to"));
  req.set("subject", std::string(kPasswordResetSubject));
  req.set("text", renderTemplate(resetTemplates_.text, values));
  req.set("html", renderTemplate(resetTemplates_.html, values));
  req.set("tag", o->optValue<std::string>("tag", "password-reset"));
  std::ostringstream s;
  req.stringify(s);
  return parseSendRequest(s.str());
}

}  // namespace codestats::mail
