// The durable outbox (mail_outbox): queueing, claiming and delivering due mail with
// retries, and the operator's views of it. Delivery is at-least-once (docs/mail.md).
#pragma once

#include <codestats/sdk.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mail_core.hpp"
#include "mail_settings.hpp"
#include "transports.hpp"

namespace codestats::mail {

// Migration 1 of the mail module: the outbox and the mass-mail tables.
extern const char kOutboxSqlite[];
extern const char kOutboxPostgres[];

int64_t nowMs();
std::string idJson(int64_t id);

class Outbox {
 public:
  Outbox(Host host, const MailSettings& settings, Transport& transport)
      : host_(host), settings_(settings), transport_(transport) {}

  // One row, queued now; inside `tx` when given (a campaign's recipient row commits with it).
  int64_t enqueue(const Outgoing& m, Tx* tx = nullptr);
  // Claims and delivers the due rows (the "deliver" timer).
  void deliverDue();
  // codestats_mail_queue_depth: mail not yet sent or failed, counted in the outbox so every
  // generation and host reports the same.
  void reportQueueDepth();

  // mail.status, mail.retry-failed [ID], mail.show ID, mail.send-test TO
  std::string statusJson();
  std::string retryFailed(const std::vector<std::string>& args);
  std::string showJson(const std::vector<std::string>& args);
  std::string sendTest(const std::vector<std::string>& args);

 private:
  void record(int64_t id, int64_t attempts, const Delivery& d);

  Host host_;
  const MailSettings& settings_;
  Transport& transport_;
  std::mt19937_64 rng_{std::random_device{}()};
};

// "expected a positive integer id" unless s is one.
int64_t parseId(const std::string& s);

}  // namespace codestats::mail
