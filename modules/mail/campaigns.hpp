// Mass mail (mail.mass-send): a campaign is one message to every user with an email, queued
// into the outbox at mass_rate_per_s, resumable without duplicates (docs/mail.md).
#pragma once

#include <codestats/sdk.hpp>

#include <string>
#include <vector>

#include "mail_settings.hpp"
#include "outbox.hpp"

namespace codestats::mail {

class Campaigns {
 public:
  Campaigns(Host host, const MailSettings& settings, Outbox& outbox)
      : host_(host), settings_(settings), outbox_(outbox) {}

  // Queues the next mass_rate_per_s recipients of the oldest running campaign (a timer).
  void advance();
  // mail.mass-send SUBJECT_FILE TEXT_FILE [HTML_FILE]
  std::string start(const std::vector<std::string>& args);
  // mail.campaigns
  std::string listJson();

 private:
  Host host_;
  const MailSettings& settings_;
  Outbox& outbox_;
};

}  // namespace codestats::mail
