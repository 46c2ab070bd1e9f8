#include "campaigns.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace codestats::mail {
namespace {

std::string readTextFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) throw Error(CS_E_INVALID, "cannot read " + what + " '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void Campaigns::advance() {
  if (host_.draining()) return;
  Rows c = host_.query(
      "SELECT id, subject, text_body, html_body FROM mail_campaigns WHERE status = 'running' ORDER BY id LIMIT 1");
  if (c.empty()) return;
  int64_t cid = c[0].i64(0);
  std::string subject(c[0].text(1)), text(c[0].text(2));
  std::optional<std::string> html = c[0].optText(3);
  Rows users;
  try {
    users = host_.query(
        "SELECT u.id, u.username, u.email FROM users u WHERE u.email IS NOT NULL AND u.email <> '' AND NOT EXISTS "
        "(SELECT 1 FROM mail_campaign_recipients r WHERE r.campaign_id = $1 AND r.user_id = u.id) ORDER BY u.id LIMIT "
        "$2",
        {cid, settings_.massRate});
  } catch (const Error& e) {
    host_.warn(std::string("mail: campaign ") + std::to_string(cid) + " waits: cannot read users: " + e.what());
    return;
  }
  if (users.empty()) {
    host_.query("UPDATE mail_campaigns SET status = 'done', finished_at = $1 WHERE id = $2 AND status = 'running'",
                {nowMs(), cid});
    host_.info("mail: campaign " + std::to_string(cid) + " fully queued");
    return;
  }
  for (size_t i = 0; i < users.size(); ++i) {
    if (host_.draining()) return;
    int64_t uid = users[i].i64(0);
    std::map<std::string, std::string> vars{{"username", std::string(users[i].text(1))},
                                            {"email", std::string(users[i].text(2))}};
    Outgoing m;
    m.to = {std::string(users[i].text(2))};
    m.subject = subject;
    m.tag = "campaign-" + std::to_string(cid);
    std::string skipped;
    try {
      m.text = renderTemplate(text, vars);
      if (html) m.html = renderTemplate(*html, vars);
      validate(m);
    } catch (const std::exception& e) {
      skipped = e.what();
    }
    // The recipient row and the outbox row commit together: a crash or a reload between
    // two users neither loses nor repeats one (unique (campaign_id, user_id)).
    host_.transaction([&](Tx& tx) {
      Rows ins = tx.query(
          "INSERT INTO mail_campaign_recipients (campaign_id, user_id, outbox_id, skipped) VALUES ($1, $2, NULL, $3) "
          "ON CONFLICT (campaign_id, user_id) DO NOTHING",
          {cid, uid, skipped.empty() ? Param(nullptr) : Param(skipped)});
      if (ins.affected() != 1 || !skipped.empty()) return;
      int64_t oid = outbox_.enqueue(m, &tx);
      tx.query("UPDATE mail_campaign_recipients SET outbox_id = $1 WHERE campaign_id = $2 AND user_id = $3",
               {oid, cid, uid});
    });
  }
}

std::string Campaigns::start(const std::vector<std::string>& a) {
  if (a.size() < 2 || a.size() > 3)
    throw Error(CS_E_INVALID, "usage: mail.mass-send SUBJECT_FILE TEXT_FILE [HTML_FILE]");
  std::string subject = readTextFile(a[0], "subject file");
  while (!subject.empty() && (subject.back() == '\n' || subject.back() == '\r')) subject.pop_back();
  std::string text = readTextFile(a[1], "text body file");
  std::optional<std::string> html;
  if (a.size() == 3) html = readTextFile(a[2], "HTML body file");
  try {
    Outgoing probe;
    probe.to = {"probe@example.org"};
    probe.subject = subject;
    checkTemplate(a[1], text);
    probe.text = text;
    if (html) {
      checkTemplate(a[2], *html);
      probe.html = html;
    }
    validate(probe);
  } catch (const std::invalid_argument& e) {
    throw Error(CS_E_INVALID, std::string("mail.mass-send: ") + e.what());
  }
  int64_t recipients = 0;
  try {
    Rows r = host_.query("SELECT COUNT(*) FROM users WHERE email IS NOT NULL AND email <> ''");
    recipients = r[0].i64(0);
  } catch (const Error& e) {
    throw Error(CS_E_UNAVAILABLE,
                std::string("mail.mass-send: cannot read the users table (is the web module's schema installed?): ") +
                    e.what());
  }
  Rows ins = host_.query(
      "INSERT INTO mail_campaigns (subject, text_body, html_body, status, created_at) VALUES ($1, $2, $3, 'running', "
      "$4) "
      "RETURNING id",
      {subject, text, html, nowMs()});
  int64_t id = ins[0].i64(0);
  return "{\"campaign\":" + std::to_string(id) + ",\"recipients\":" + std::to_string(recipients) +
         ",\"rate_per_s\":" + std::to_string(settings_.massRate) + "}";
}

std::string Campaigns::listJson() {
  Rows r = host_.query(
      "SELECT c.id, c.status, c.subject, (SELECT COUNT(*) FROM mail_campaign_recipients r WHERE r.campaign_id = c.id "
      "AND "
      "r.outbox_id IS NOT NULL), (SELECT COUNT(*) FROM mail_campaign_recipients r WHERE r.campaign_id = c.id AND "
      "r.skipped IS NOT NULL) FROM mail_campaigns c ORDER BY c.id");
  std::string out = "[";
  for (size_t i = 0; i < r.size(); ++i)
    out += std::string(i ? "," : "") + "{\"id\":" + std::to_string(r[i].i64(0)) +
           ",\"status\":" + jsonString(r[i].text(1)) + ",\"subject\":" + jsonString(r[i].text(2)) +
           ",\"queued\":" + std::to_string(r[i].i64(3)) + ",\"skipped\":" + std::to_string(r[i].i64(4)) + "}";
  return out + "]";
}

}  // namespace codestats::mail
