// The mail.v1 service: send and send_template validate a message and queue it in the
// outbox; nothing is sent in the caller's request (docs/mail.md).
#pragma once

#include <string>
#include <string_view>

#include "mail_templates.hpp"
#include "outbox.hpp"

namespace codestats::mail {

class MailService {
 public:
  MailService(Outbox& outbox, const TemplatePair& resetTemplates, std::string siteUrl)
      : outbox_(outbox), resetTemplates_(resetTemplates), siteUrl_(std::move(siteUrl)) {}

  // send {to, subject, text, html?, tag?} | send_template {template, to, vars, tag?} -> {"id": N}
  std::string serve(std::string_view method, std::string_view request);

 private:
  Outgoing fromTemplateRequest(std::string_view json);

  Outbox& outbox_;
  const TemplatePair& resetTemplates_;
  std::string siteUrl_;
};

}  // namespace codestats::mail
