#include "outbox.hpp"

#include <algorithm>
#include <chrono>

namespace codestats::mail {

const char kOutboxSqlite[] = R"SQL(
CREATE TABLE IF NOT EXISTS mail_outbox (id INTEGER PRIMARY KEY, to_addr TEXT NOT NULL, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NULL, tag TEXT NULL, status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, last_error TEXT NULL, provider_id TEXT NULL, created_at BIGINT NOT NULL, sent_at BIGINT NULL, claimed_until BIGINT NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS mail_outbox_due_index ON mail_outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS mail_campaigns (id INTEGER PRIMARY KEY, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NULL, status TEXT NOT NULL DEFAULT 'running', created_at BIGINT NOT NULL, finished_at BIGINT NULL);
CREATE TABLE IF NOT EXISTS mail_campaign_recipients (campaign_id BIGINT NOT NULL, user_id BIGINT NOT NULL, outbox_id BIGINT NULL, skipped TEXT NULL, PRIMARY KEY (campaign_id, user_id));
)SQL";

const char kOutboxPostgres[] = R"SQL(
CREATE TABLE IF NOT EXISTS mail_outbox (id BIGSERIAL PRIMARY KEY, to_addr TEXT NOT NULL, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NULL, tag TEXT NULL, status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, last_error TEXT NULL, provider_id TEXT NULL, created_at BIGINT NOT NULL, sent_at BIGINT NULL, claimed_until BIGINT NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS mail_outbox_due_index ON mail_outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS mail_campaigns (id BIGSERIAL PRIMARY KEY, subject TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NULL, status TEXT NOT NULL DEFAULT 'running', created_at BIGINT NOT NULL, finished_at BIGINT NULL);
CREATE TABLE IF NOT EXISTS mail_campaign_recipients (campaign_id BIGINT NOT NULL, user_id BIGINT NOT NULL, outbox_id BIGINT NULL, skipped TEXT NULL, PRIMARY KEY (campaign_id, user_id));
)SQL";

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string idJson(int64_t id) { return "{\"id\":" + std::to_string(id) + "}"; }

int64_t parseId(const std::string& s) {
  try {
    size_t used = 0;
    int64_t v = std::stoll(s, &used);
    if (used == s.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw Error(CS_E_INVALID, "expected a positive integer id, got '" + s + "'");
}

int64_t Outbox::enqueue(const Outgoing& m, Tx* tx) {
  int64_t now = nowMs();
  std::string to = joinRecipients(m.to);
  const char* sql =
      "INSERT INTO mail_outbox (to_addr, subject, text_body, html_body, tag, status, attempts, next_attempt_at, "
      "created_at, claimed_until) VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6, 0) RETURNING id";
  std::vector<Param> params{Param(to), Param(m.subject), Param(m.text), Param(m.html), Param(m.tag), Param(now)};
  Rows rows = tx ? tx->query(sql, params) : host_.query(sql, params);
  host_.counter("mail_queued");
  return rows[0].i64(0);
}

void Outbox::deliverDue() {
  if (host_.draining()) return;
  int64_t now = nowMs();
  std::vector<int64_t> due;
  {
    Rows rows = host_.query(
        "SELECT id FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= $1 AND claimed_until <= $1 "
        "ORDER BY next_attempt_at, id LIMIT $2",
        {now, settings_.batchSize});
    for (size_t i = 0; i < rows.size(); ++i) due.push_back(rows[i].i64(0));
  }
  for (int64_t id : due) {
    if (host_.draining()) return;
    now = nowMs();
    // The claim: only one deliverer (this or an overlapping generation or host) wins.
    Rows claim = host_.query(
        "UPDATE mail_outbox SET claimed_until = $1 WHERE id = $2 AND status = 'queued' AND claimed_until <= $3",
        {now + settings_.claimMs, id, now});
    if (claim.affected() != 1) continue;
    StoredMessage m;
    int64_t attempts = 0;
    {
      Rows r = host_.query(
          "SELECT id, to_addr, subject, text_body, html_body, tag, attempts, created_at FROM mail_outbox WHERE id = $1",
          {id});
      if (r.empty()) continue;
      m.id = r[0].i64(0);
      m.to = splitRecipients(r[0].text(1));
      m.subject = std::string(r[0].text(2));
      m.text = std::string(r[0].text(3));
      m.html = r[0].optText(4);
      m.tag = r[0].optText(5);
      attempts = r[0].i64(6);
      m.createdAtMs = r[0].i64(7);
    }
    Delivery d = transport_.deliver(m);
    record(m.id, attempts + 1, d);
  }
}

void Outbox::reportQueueDepth() {
  if (host_.draining()) return;
  Rows rows = host_.query("SELECT COUNT(*) FROM mail_outbox WHERE status = 'queued'");
  host_.gauge("queue_depth", static_cast<double>(rows[0].i64(0)));
}

void Outbox::record(int64_t id, int64_t attempts, const Delivery& d) {
  int64_t now = nowMs();
  if (d.outcome == Outcome::Sent) {
    host_.query(
        "UPDATE mail_outbox SET status = 'sent', sent_at = $1, provider_id = $2, attempts = $3, last_error = NULL, "
        "claimed_until = 0 WHERE id = $4",
        {now, d.providerId, attempts, id});
    host_.counter("mail_sent");
    return;
  }
  std::string error = d.error.substr(0, 2000);
  if (d.outcome == Outcome::Permanent || attempts >= settings_.maxAttempts) {
    if (d.outcome == Outcome::Retry) error = "gave up after " + std::to_string(attempts) + " attempts: " + error;
    host_.query(
        "UPDATE mail_outbox SET status = 'failed', attempts = $1, last_error = $2, claimed_until = 0 WHERE id = $3",
        {attempts, error, id});
    host_.counter("mail_failed");
    host_.warn("mail " + std::to_string(id) + " failed: " + error);
    return;
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int64_t delay = backoffDelayMs(attempts, settings_.backoffMs, settings_.maxBackoffMs, unit(rng_));
  delay = std::max(delay, std::min(d.retryAfterMs, settings_.maxBackoffMs));
  host_.query(
      "UPDATE mail_outbox SET attempts = $1, last_error = $2, next_attempt_at = $3, claimed_until = 0 WHERE id = $4",
      {attempts, error, now + delay, id});
  host_.counter("mail_retries");
  host_.info("mail " + std::to_string(id) + " attempt " + std::to_string(attempts) + " failed, retrying in " +
             std::to_string(delay) + " ms: " + error);
}

std::string Outbox::statusJson() {
  int64_t queued = 0, sent = 0, failed = 0;
  Rows r = host_.query("SELECT status, COUNT(*) FROM mail_outbox GROUP BY status");
  for (size_t i = 0; i < r.size(); ++i) {
    std::string_view s = r[i].text(0);
    (s == "queued" ? queued : s == "sent" ? sent : failed) += r[i].i64(1);
  }
  return "{\"transport\":\"" + transport_.name() + "\",\"queued\":" + std::to_string(queued) +
         ",\"sent\":" + std::to_string(sent) + ",\"failed\":" + std::to_string(failed) + "}";
}

std::string Outbox::retryFailed(const std::vector<std::string>& a) {
  int64_t now = nowMs();
  Rows r = a.empty() ? host_.query(
                           "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = $1, "
                           "claimed_until = 0 WHERE status = 'failed'",
                           {now})
                     : host_.query(
                           "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = $1, "
                           "claimed_until = 0 WHERE status = 'failed' AND id = $2",
                           {now, parseId(a[0])});
  return "{\"requeued\":" + std::to_string(r.affected()) + "}";
}

std::string Outbox::showJson(const std::vector<std::string>& a) {
  if (a.size() != 1) throw Error(CS_E_INVALID, "usage: mail.show ID");
  Rows r = host_.query(
      "SELECT id, to_addr, subject, status, attempts, next_attempt_at, last_error, provider_id, created_at, sent_at, "
      "tag "
      "FROM mail_outbox WHERE id = $1",
      {parseId(a[0])});
  if (r.empty()) throw Error(CS_E_NOT_FOUND, "no mail with id " + a[0]);
  auto opt = [&](size_t c) { return r[0].isNull(c) ? std::string("null") : jsonString(r[0].text(c)); };
  auto optInt = [&](size_t c) { return r[0].isNull(c) ? std::string("null") : std::to_string(r[0].i64(c)); };
  return "{\"id\":" + std::to_string(r[0].i64(0)) + ",\"to\":" + jsonString(r[0].text(1)) +
         ",\"subject\":" + jsonString(r[0].text(2)) + ",\"status\":" + jsonString(r[0].text(3)) +
         ",\"attempts\":" + std::to_string(r[0].i64(4)) + ",\"next_attempt_at\":" + optInt(5) +
         ",\"last_error\":" + opt(6) + ",\"provider_id\":" + opt(7) + ",\"created_at\":" + optInt(8) +
         ",\"sent_at\":" + optInt(9) + ",\"tag\":" + opt(10) + "}";
}

std::string Outbox::sendTest(const std::vector<std::string>& a) {
  if (a.size() != 1) throw Error(CS_E_INVALID, "usage: mail.send-test TO");
  Outgoing m;
  m.to = {a[0]};
  m.subject = "Code::Stats test mail";
  m.text = "This is a test message from the Code::Stats mail module (transport: " + transport_.name() + ").\n";
  m.tag = "test";
  try {
    validate(m);
  } catch (const InvalidMail& e) {
    throw Error(CS_E_INVALID, std::string("invalid mail: ") + e.what());
  }
  return idJson(enqueue(m));
}

}  // namespace codestats::mail
