// The mail module: outgoing mail.
// It will provide the mail.v1 service (send -> queued id), keep a durable outbox table and
// deliver it on a timer through the Mailgun API, SMTP or files under var/mail/.
//
// Skeleton: for now it only answers GET /health/mail, so the host, the loader and the
// reload path can be exercised with the real module set.
#include <codestats/sdk.hpp>

// One definition for the descriptor and the health answer.
#define MAIL_MODULE_VERSION "0.1.0"

namespace {

class MailModule : public codestats::Module {
 public:
  explicit MailModule(codestats::Host host) : Module(host) {
    route("GET", "/health/mail", [](const codestats::Request&, codestats::Response& resp) {
      resp.json(200, R"({"module":"mail","status":"ok","version":")" MAIL_MODULE_VERSION R"("})");
    });
  }
};

}  // namespace

CODESTATS_MODULE(MailModule, "mail", MAIL_MODULE_VERSION, 1)
