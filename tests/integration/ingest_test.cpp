// The ingest module against a real host with web and ingest, on every DB backend: the
// request variants real editor plugins send (spec/clients.md §1), every bad input of issue
// 3 (status, JSON error, nothing stored), auth cache invalidation, aliases, the CSV import,
// and concurrent pulses whose aggregates must add up exactly.
#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <thread>

#include "backends.hpp"

using namespace codestats::test;

namespace {

Poco::JSON::Object::Ptr json(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Object::Ptr>();
}
Poco::JSON::Array::Ptr jsonArray(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Array::Ptr>();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// coded_at `agoSeconds` in the past, as local wall time at `offsetMinutes`, with `digits`
// fraction digits; `colon` selects +HH:MM over +HHMM; offset 0 with zulu gives "Z".
std::string codedAt(int agoSeconds, int offsetMinutes = 0, int digits = 0, bool colon = true, bool zulu = false,
                    char sep = 'T') {
  std::time_t t = std::time(nullptr) - agoSeconds + offsetMinutes * 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, sep,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string s = buf;
  if (digits > 0) s += "." + std::string("123456789").substr(0, static_cast<size_t>(digits));
  if (zulu) return s + "Z";
  int a = offsetMinutes < 0 ? -offsetMinutes : offsetMinutes;
  std::snprintf(buf, sizeof buf, colon ? "%c%02d:%02d" : "%c%02d%02d", offsetMinutes < 0 ? '-' : '+', a / 60, a % 60);
  return s + buf;
}

std::string pulseBody(const std::string& at, const std::string& xps = R"([{"language":"C++","xp":10}])") {
  return R"({"coded_at":")" + at + R"(","xps":)" + xps + "}";
}

struct Ingest {
  BackendArgs db;
  std::unique_ptr<HostProcess> h;
  std::string token;

  explicit Ingest(const std::string& backend, std::vector<std::string> extra = {}) : db(backendArgs(backend)) {
    h = std::make_unique<HostProcess>(db.args + std::vector<std::string>{"--set", "modules=web,ingest"} + extra);
    std::string out;
    REQUIRE(h->ctl({"run", "web.create-user", "alice"}, out) == 0);
    token = createMachine("alice", "laptop");
  }
  std::string createMachine(const std::string& user, const std::string& name) {
    std::string out;
    REQUIRE(h->ctl({"run", "web.create-machine", user, name}, out) == 0);
    return trim(out);
  }
  std::string run(const std::vector<std::string>& args) {
    std::string out;
    int rc = h->ctl(args, out);
    INFO(out);
    REQUIRE(rc == 0);
    return out;
  }
  Poco::JSON::Object::Ptr stats() { return json(run({"run", "ingest.stats"})); }
  int64_t stat(const std::string& key) { return stats()->getValue<int64_t>(key); }
  Poco::JSON::Array::Ptr pulses(const std::string& user = "alice", int n = 1) {
    return jsonArray(run({"run", "ingest.pulses", user, std::to_string(n)}));
  }
  HttpReply post(const std::string& body, const std::string& target = "/api/my/pulses",
                 std::map<std::string, std::string> headers = {}) {
    if (!headers.count("X-API-Token")) headers["X-API-Token"] = token;
    if (!headers.count("Content-Type")) headers["Content-Type"] = "application/json";
    return h->request("POST", target, body, headers);
  }
};

void checkAggregatesAddUp(Ingest& in) {
  auto s = in.stats();
  INFO(in.run({"run", "ingest.stats"}));
  int64_t sum = s->getValue<int64_t>("xps_sum");
  CHECK(s->getValue<int64_t>("by_language") == sum);
  CHECK(s->getValue<int64_t>("by_machine") == sum);
  CHECK(s->getValue<int64_t>("by_day") == sum);
  CHECK(s->getValue<int64_t>("by_hour") == sum);
  CHECK(s->getValue<int64_t>("totals") == sum);
}

}  // namespace

TEST_CASE("ingest: every request variant of real plugins is answered 201 and stored", "[ingest][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Ingest in(backend);
      int expected = 0;
      auto ok = [&](const HttpReply& r) {
        INFO(r.status << " " << r.body);
        CHECK(r.status == 201);
        CHECK(r.body == R"({"ok":"Great success!"})");
        CHECK(r.header("content-type") == "application/json; charset=utf-8");
        ++expected;
      };
      // paths
      for (const char* path : {"/api/my/pulses", "/api/my/pulses/", "/api//my/pulses"})
        ok(in.post(pulseBody(codedAt(60)), path));
      // header name case
      for (const char* name : {"x-api-token", "X-Api-Token", "X-API-TOKEN"})
        ok(in.h->request("POST", "/api/my/pulses", pulseBody(codedAt(60)),
                         {{name, in.token}, {"Content-Type", "application/json"}}));
      // content types and accept headers
      for (const char* ct : {"application/json; charset=utf-8", "application/json; charset=UTF-8", "application/json"})
        ok(in.post(pulseBody(codedAt(60)), "/api/my/pulses", {{"Content-Type", ct}}));
      ok(in.post(pulseBody(codedAt(60)), "/api/my/pulses", {{"Accept", "application/json, text/plain, */*"}}));
      ok(in.post(pulseBody(codedAt(60)), "/api/my/pulses",
                 {{"Accept", "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"}}));
      // timestamps: +HH:MM, +HHMM, -HH:MM, -HHMM, Z, 7 and 9 fraction digits, space separator
      ok(in.post(pulseBody(codedAt(60, 120))));
      auto p = in.pulses();
      CHECK(p->getObject(0)->getValue<int>("tz_offset") == 120);
      ok(in.post(pulseBody(codedAt(60, 120, 0, false))));
      CHECK(in.pulses()->getObject(0)->getValue<int>("tz_offset") == 120);
      ok(in.post(pulseBody(codedAt(60, -300))));
      CHECK(in.pulses()->getObject(0)->getValue<int>("tz_offset") == -300);
      ok(in.post(pulseBody(codedAt(60, -300, 0, false))));
      ok(in.post(pulseBody(codedAt(60, 0, 0, true, true))));
      CHECK(in.pulses()->getObject(0)->getValue<int>("tz_offset") == 0);
      ok(in.post(pulseBody(codedAt(60, 60, 7))));
      ok(in.post(pulseBody(codedAt(60, 120, 9))));
      ok(in.post(pulseBody(codedAt(60, 0, 3, true, true, ' '))));
      // sent_at is the UTC instant truncated to seconds; local = sent_at + offset
      {
        auto last = in.pulses()->getObject(0);
        int64_t sentAt = last->getValue<int64_t>("sent_at");
        CHECK(sentAt % 1000 == 0);
        CHECK(std::llabs(sentAt / 1000 - (std::time(nullptr) - 60)) <= 5);
      }
      ok(in.post(pulseBody(codedAt(60, 120, 9))));
      {
        auto last = in.pulses()->getObject(0);
        CHECK(last->getValue<int64_t>("sent_at_local") - last->getValue<int64_t>("sent_at") == 120 * 60 * 1000);
      }
      // future -> now
      ok(in.post(pulseBody("2099-01-01T00:00:00+02:00")));
      {
        auto last = in.pulses()->getObject(0);
        CHECK(std::llabs(last->getValue<int64_t>("sent_at") / 1000 - std::time(nullptr)) <= 5);
        CHECK(last->getValue<int>("tz_offset") == 120);
      }
      // pretty JSON, several xps, odd language names, duplicates, empty list, whitespace language
      ok(in.post("{\n  \"coded_at\": \"" + codedAt(30) +
                 "\",\n  \"xps\": [\n    {\"language\": \"Objective-C++ (clang)/x\", \"xp\": 3},\n"
                 "    {\"language\": \"日本語\", \"xp\": 4},\n    {\"language\": \"c++\", \"xp\": 5},\n"
                 "    {\"language\": \"  \", \"xp\": 6}\n  ]\n}"));
      {
        auto xps = in.pulses()->getObject(0)->getArray("xps");
        REQUIRE(xps->size() == 4);
        CHECK(xps->getObject(1)->getValue<std::string>("language") == "日本語");
        CHECK(xps->getObject(2)->getValue<std::string>("language") == "C++");  // case-insensitive get
        CHECK(xps->getObject(3)->getValue<std::string>("language") == "Plain text");
      }
      ok(in.post(pulseBody(codedAt(30), "[]")));
      CHECK(in.pulses()->getObject(0)->getArray("xps")->size() == 0);
      // chunked (node http.request + write) and Expect: 100-continue (curl)
      {
        std::string b = pulseBody(codedAt(60));
        std::string half1 = b.substr(0, b.size() / 2), half2 = b.substr(b.size() / 2);
        char s1[16], s2[16];
        std::snprintf(s1, sizeof s1, "%zx", half1.size());
        std::snprintf(s2, sizeof s2, "%zx", half2.size());
        auto raw =
            rawExchange(in.h->httpPort(), "POST /api/my/pulses/ HTTP/1.1\r\nHost: x\r\nX-API-Token: " + in.token +
                                              "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                                              "Connection: close\r\n\r\n" +
                                              s1 + "\r\n" + half1 + "\r\n" + s2 + "\r\n" + half2 + "\r\n0\r\n\r\n");
        CHECK_THAT(raw, Catch::StartsWith("HTTP/1.1 201"));
        CHECK_THAT(raw, Catch::EndsWith(R"({"ok":"Great success!"})"));
        ++expected;
        raw = rawExchange(in.h->httpPort(),
                          "POST /api/my/pulses HTTP/1.1\r\nHost: x\r\nX-Api-Token: " + in.token +
                              "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
                              std::to_string(b.size()) + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n" + b);
        CHECK_THAT(raw, Catch::Contains("HTTP/1.1 201"));
        CHECK_THAT(raw, Catch::EndsWith(R"({"ok":"Great success!"})"));
        ++expected;
      }
      // keep-alive: several pulses on one connection
      {
        std::string b = pulseBody(codedAt(60));
        std::string one = "POST /api/my/pulses HTTP/1.1\r\nHost: x\r\nX-API-Token: " + in.token +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(b.size()) +
                          "\r\n\r\n" + b;
        std::string last =
            "POST /api/my/pulses HTTP/1.1\r\nHost: x\r\nX-API-Token: " + in.token +
            "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + std::to_string(b.size()) +
            "\r\n\r\n" + b;
        auto raw = rawExchange(in.h->httpPort(), one + one + last);
        size_t n = 0;
        for (size_t pos = 0; (pos = raw.find("HTTP/1.1 201", pos)) != std::string::npos; ++pos) ++n;
        CHECK(n == 3);
        expected += 3;
      }
      CHECK(in.stat("pulses") == expected);
      checkAggregatesAddUp(in);
    }
  }
}

TEST_CASE("ingest: every bad input gets its status and JSON error, and nothing is stored", "[ingest][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Ingest in(backend, {"--set", "http.max_body_bytes=40000"});
      const std::string at = codedAt(60);
      auto bad = [&](const HttpReply& r, int status, const std::string& body) {
        INFO(r.status << " " << r.body);
        CHECK(r.status == status);
        CHECK(r.body == body);
        CHECK_THAT(r.header("content-type"), Catch::StartsWith("application/json"));
      };
      const std::string xpsFormat = R"({"error":"Invalid xps format."})";
      const std::string xpFormat = R"({"error":"Invalid XP format."})";
      bad(in.post("{not json"), 400, xpsFormat);
      bad(in.post(""), 400, xpsFormat);
      bad(in.post("[1,2]"), 400, xpsFormat);
      bad(in.post("\"string\""), 400, xpsFormat);
      bad(in.post(R"({"coded_at":")" + at + R"(","xps":{"language":"C","xp":1}})"), 400, xpsFormat);
      bad(in.post(R"({"coded_at":")" + at + R"("})"), 400, xpsFormat);
      bad(in.post(R"({"xps":[]})"), 400, xpsFormat);
      bad(in.post(R"({"coded_at":")" + at + "\",\"xps\":[{\"language\":\"\xff\xfe\",\"xp\":1}]}"), 400, xpsFormat);
      bad(in.post(pulseBody("2020-13-45 nonsense")), 400, R"({"error":"Invalid coded_at format."})");
      bad(in.post(pulseBody("2024-01-01T10:00:00")), 400, R"({"error":"Invalid coded_at format."})");
      bad(in.post(pulseBody(codedAt(8 * 86400))), 400, R"({"error":"Invalid date."})");
      bad(in.post(pulseBody(codedAt(60).substr(0, 19) + "+2:00")), 400, R"({"error":"Invalid TZ offset!"})");
      for (const char* xps :
           {R"([{"language":"C","xp":1.0}])", R"([{"language":"C","xp":2.5}])", R"([{"language":"C","xp":"3"}])",
            R"([{"language":"C","xp":-1}])", R"([{"language":"C","xp":2147483648}])", R"([{"language":5,"xp":1}])",
            R"([{"language":"C"}])", R"([{"xp":1}])", R"([7])",
            R"([{"language":"ok","xp":1},{"language":"C","xp":-5}])"})
        bad(in.post(pulseBody(at, xps)), 400, xpFormat);
      bad(in.post(pulseBody(at, R"([{"language":")" + std::string(256, 'L') + R"(","xp":1}])")), 400, xpFormat);
      {
        std::string many = "[";
        for (int i = 0; i < 1001; ++i) many += std::string(i ? "," : "") + R"({"language":"C","xp":1})";
        bad(in.post(pulseBody(at, many + "]")), 400, R"({"error":"Too many xps (at most 1000)."})");
      }
      // auth: missing, duplicated, garbage, unknown machine, foreign machine, wrong user case
      const std::string authError = R"({"error": "You must be authenticated"})";
      auto r = in.h->request("POST", "/api/my/pulses", pulseBody(at), {{"Content-Type", "application/json"}});
      CHECK(r.status == 403);
      CHECK(r.body == authError);
      auto raw = rawExchange(in.h->httpPort(), "POST /api/my/pulses HTTP/1.1\r\nHost: x\r\nX-API-Token: " + in.token +
                                                   "\r\nx-api-token: " + in.token +
                                                   "\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                                   "Content-Length: " +
                                                   std::to_string(pulseBody(at).size()) + "\r\n\r\n" + pulseBody(at));
      CHECK_THAT(raw, Catch::StartsWith("HTTP/1.1 403"));
      CHECK_THAT(raw, Catch::EndsWith(authError));
      for (std::string tok :
           {std::string("garbage"), std::string(""), in.token + "x", in.token.substr(0, in.token.rfind('.')),
            // a well-formed token for machine 999 ("alice"##"999")
            std::string("SFMyNTY.WVd4cFkyVT0jI09UazU.AAAA")}) {
        auto rr = in.post(pulseBody(at), "/api/my/pulses", {{"X-API-Token", tok}});
        INFO(tok);
        CHECK(rr.status == 403);
        CHECK(rr.body == authError);
      }
      {
        std::string out;
        REQUIRE(in.h->ctl({"run", "web.create-user", "Bob"}, out) == 0);
        std::string bobToken = in.createMachine("Bob", "desk");
        REQUIRE(in.h->ctl({"run", "web.set-machine-active", "Bob", "desk", "false"}, out) == 0);
        auto rr = in.post(pulseBody(at), "/api/my/pulses", {{"X-API-Token", bobToken}});
        CHECK(rr.status == 403);
        CHECK(rr.body == authError);
      }
      // body over the limit, wrong method
      {
        std::string big = pulseBody(at, "[" + std::string(50000, ' ') + "]");
        auto raw413 =
            rawExchange(in.h->httpPort(), "POST /api/my/pulses HTTP/1.1\r\nHost: x\r\nX-API-Token: " + in.token +
                                              "\r\nContent-Type: application/json\r\n"
                                              "Connection: close\r\nContent-Length: " +
                                              std::to_string(big.size()) + "\r\n\r\n" + big);
        CHECK_THAT(raw413, Catch::StartsWith("HTTP/1.1 413"));
        CHECK_THAT(raw413, Catch::EndsWith(R"({"error":"Request body too large"})"));
      }
      auto get = in.h->request("GET", "/api/my/pulses", "", {{"X-API-Token", in.token}});
      CHECK(get.status == 405);
      CHECK_THAT(get.header("content-type"), Catch::StartsWith("application/json"));
      CHECK_THAT(get.body, Catch::Contains("\"error\""));

      auto s = in.stats();
      CHECK(s->getValue<int64_t>("pulses") == 0);
      CHECK(s->getValue<int64_t>("xps_rows") == 0);
      CHECK(s->getValue<int64_t>("totals") == 0);
      CHECK(s->getValue<int64_t>("languages") == 0);
      // and a good pulse still works afterwards
      CHECK(in.post(pulseBody(at)).status == 201);
      CHECK(in.stat("pulses") == 1);
    }
  }
}

TEST_CASE("ingest: deactivating a machine invalidates the cached token at once", "[ingest][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Ingest in(backend);
      std::string out;
      CHECK(in.post(pulseBody(codedAt(60))).status == 201);  // now cached
      REQUIRE(in.h->ctl({"run", "web.set-machine-active", "alice", "laptop", "false"}, out) == 0);
      bool rejected = false;
      for (int i = 0; i < 200 && !rejected; ++i) {
        auto r = in.post(pulseBody(codedAt(60)));
        if (r.status == 403) rejected = true;
        else std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      CHECK(rejected);
      REQUIRE(in.h->ctl({"run", "web.set-machine-active", "alice", "laptop", "true"}, out) == 0);
      bool accepted = false;
      for (int i = 0; i < 200 && !accepted; ++i) {
        if (in.post(pulseBody(codedAt(60))).status == 201) accepted = true;
        else std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      CHECK(accepted);  // reactivating restores the same token
      REQUIRE(in.h->ctl({"run", "web.machine-token", "alice", "laptop"}, out) == 0);
      CHECK(trim(out) == in.token);
    }
  }
}

TEST_CASE("ingest: the secret_key_base and salts of an original instance keep its tokens working", "[ingest]") {
  // The spec's test vector: secret 64 x 'x'; machine 1 of "Nicd" with a known salt.
  HostProcess h({"--set", "modules=web,ingest", "--set", "secret_key_base=" + std::string(64, 'x')});
  std::string out;
  REQUIRE(h.ctl({"run", "web.create-user", "Nicd"}, out) == 0);
  REQUIRE(h.ctl({"run", "web.create-machine", "Nicd", "m"}, out) == 0);
  // Without an SQL door into web, the salt is random: check the printed token verifies and
  // that a token with the right shape but another salt is refused.
  std::string tok = trim(out);
  CHECK(tok.rfind("SFMyNTY.VG1salpBPT0jI01RPT0.", 0) == 0);
  auto ok = h.request("POST", "/api/my/pulses", pulseBody(codedAt(10)), {{"X-API-Token", tok}});
  CHECK(ok.status == 201);
  auto no = h.request("POST", "/api/my/pulses", pulseBody(codedAt(10)),
                      {{"X-API-Token", "SFMyNTY.VG1salpBPT0jI01RPT0.RurciEWNhilcbWcNtBcmBa7Fojqy7a4zZbmJ0ohn9OE"}});
  CHECK(no.status == 403);
}

TEST_CASE("ingest: aliases, the CSV import and aggregate rebuilds stay exact", "[ingest][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Ingest in(backend);
      // alias C++ -> Rust: new pulses store language Rust, original C++
      CHECK(in.post(pulseBody(codedAt(60), R"([{"language":"C++","xp":7}])")).status == 201);
      in.run({"run", "ingest.alias-language", "C++", "Rust"});
      CHECK(in.post(pulseBody(codedAt(50), R"([{"language":"c++","xp":5}])")).status == 201);
      auto x = in.pulses("alice", 2);
      for (size_t i = 0; i < 2; ++i) {
        auto item = x->getObject(static_cast<unsigned>(i))->getArray("xps")->getObject(0);
        CHECK(item->getValue<std::string>("language") == "Rust");
        CHECK(item->getValue<std::string>("original_language") == "C++");
      }
      checkAggregatesAddUp(in);
      std::string out;
      CHECK(in.h->ctl({"run", "ingest.alias-language", "Go", "C++"}, out) != 0);
      CHECK_THAT(out, Catch::Contains("Cannot alias to an existing alias!"));
      in.run({"run", "ingest.unalias-language", "C++"});
      x = in.pulses("alice", 2);
      CHECK(x->getObject(0)->getArray("xps")->getObject(0)->getValue<std::string>("language") == "C++");
      CHECK(x->getObject(1)->getArray("xps")->getObject(0)->getValue<std::string>("language") == "C++");
      CHECK(in.h->ctl({"run", "ingest.unalias-language", "C++"}, out) != 0);
      CHECK_THAT(out, Catch::Contains("Cannot unalias a language that is not an alias!"));
      checkAggregatesAddUp(in);

      // CSV import (the /my/pulses export), idempotent
      std::string file = in.h->varDir() + "/pulses.csv";
      std::ofstream(file) << "sent_at;sent_at_local;tz_offset;language;machine;amount\n"
                             "2017-11-27 23:00:00Z;2017-11-28 00:00:00;60;elixir;laptop;1\n"
                             "2017-11-27 23:00:00Z;2017-11-28 00:00:00;60;\"semi;colon\";laptop;2\n"
                             "2018-01-01 10:00:00Z;2018-01-01 05:00:00;-300;Rust;laptop;30\n"
                             "2016-01-01 10:00:00Z;;;Rust;laptop;4\n";
      int64_t before = in.stat("xps_sum");
      out = in.run({"run", "ingest.import-csv", "alice", file});
      CHECK_THAT(out, Catch::Contains("imported 3 pulses (4 xps, 37 XP), skipped 0"));
      out = in.run({"run", "ingest.import-csv", "alice", file});
      CHECK_THAT(out, Catch::Contains("imported 0 pulses (0 xps, 0 XP), skipped 3"));
      CHECK(in.stat("xps_sum") == before + 37);
      CHECK(in.stat("pulses") == 5);
      checkAggregatesAddUp(in);
      std::ofstream(in.h->varDir() + "/bad.csv") << "sent_at;sent_at_local;tz_offset;language;machine;amount\n"
                                                    "2017-11-27 23:00:00Z;2017-11-28 00:00:00;60;x;nosuch;1\n";
      CHECK(in.h->ctl({"run", "ingest.import-csv", "alice", in.h->varDir() + "/bad.csv"}, out) != 0);
      CHECK_THAT(out, Catch::Contains("nosuch"));

      in.run({"run", "ingest.rebuild-aggregates", "--all"});
      checkAggregatesAddUp(in);
      in.run({"run", "ingest.rebuild-aggregates", "alice"});
      checkAggregatesAddUp(in);
      CHECK(in.stat("totals") == before + 37);
    }
  }
}

TEST_CASE("ingest: concurrent clients, exactly one pulse per 201, aggregates add up", "[ingest][db][concurrency]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      Ingest in(backend);
      std::string out;
      REQUIRE(in.h->ctl({"run", "web.create-user", "carol"}, out) == 0);
      std::vector<std::string> tokens{in.token, in.createMachine("alice", "desktop"), in.createMachine("carol", "a"),
                                      in.createMachine("carol", "b")};
      constexpr int kClients = 16, kEach = 50;
      std::atomic<int> created{0}, failed{0};
      std::atomic<int64_t> xpSent{0};
      std::vector<std::thread> threads;
      for (int c = 0; c < kClients; ++c)
        threads.emplace_back([&, c] {
          for (int k = 0; k < kEach; ++k) {
            int offset = ((c + k) % 5 - 2) * 150;  // -300 .. +300 minutes
            int ago = (c * kEach + k) * 97 % (6 * 86400);
            int a = c + k + 1, b = k % 7;
            std::string xps = R"([{"language":"Lang)" + std::to_string(k % 4) + R"(","xp":)" + std::to_string(a) +
                              R"(},{"language":"lang)" + std::to_string(c % 3) + R"(","xp":)" + std::to_string(b) +
                              "}]";
            auto r = httpRequest(in.h->httpPort(), "POST", "/api/my/pulses", pulseBody(codedAt(ago, offset), xps),
                                 {{"X-API-Token", tokens[static_cast<size_t>(c) % tokens.size()]},
                                  {"Content-Type", "application/json"}});
            if (r.status == 201) {
              ++created;
              xpSent += a + b;
            } else {
              ++failed;
            }
          }
        });
      for (auto& t : threads) t.join();
      CHECK(failed == 0);
      CHECK(created == kClients * kEach);
      auto s = in.stats();
      INFO(in.run({"run", "ingest.stats"}));
      CHECK(s->getValue<int64_t>("pulses") == created);
      CHECK(s->getValue<int64_t>("xps_rows") == 2 * created);
      CHECK(s->getValue<int64_t>("xps_sum") == xpSent);
      checkAggregatesAddUp(in);
      CHECK(s->getValue<int64_t>("batches") < created);  // group commit batched something
      // a full rebuild gives the same figures
      in.run({"run", "ingest.rebuild-aggregates", "--all"});
      CHECK(in.stat("totals") == xpSent);
      checkAggregatesAddUp(in);
    }
  }
}
