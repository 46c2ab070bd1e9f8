// ingest_bench: load generator for POST /api/my/pulses (issue 3 budgets).
// Creates USERS users with 2 machines each through the admin API (web.create-user,
// web.create-machine), then runs CONNECTIONS keep-alive connections (one thread each),
// each posting realistic pulses (1-5 languages) as fast as answers come, for SECONDS.
// Prints pulses/s, p50 and p99 latency, and the count of non-201 answers.
//
//   ingest_bench --port P --admin-port A --admin-token T [--users 1000] [--connections 64]
//                [--seconds 10] [--warmup 2]
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string adminRun(int port, const std::string& token, const std::string& command,
                     const std::vector<std::string>& args) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  std::string body = "{\"args\":[";
  for (size_t i = 0; i < args.size(); ++i) body += (i ? ",\"" : "\"") + args[i] + "\"";
  body += "]}";
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/admin/commands/" + command,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", "Bearer " + token);
  req.setContentType("application/json");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::string out;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), out);
  if (resp.getStatus() != 200) throw std::runtime_error(command + " failed: " + out);
  auto o = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
  std::string r = o->getValue<std::string>("output");
  while (!r.empty() && r.back() == '\n') r.pop_back();
  return r;
}

std::string codedAt(std::mt19937& rng) {
  static const int kOffsets[] = {0, 60, 120, 180, -300, -240, 330, 540, -420};
  int offset = kOffsets[rng() % 9];
  std::time_t t = std::time(nullptr) - static_cast<int>(rng() % 3600) + offset * 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  int a = std::abs(offset);
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

std::string pulseBody(std::mt19937& rng) {
  static const char* kLangs[] = {"C++", "Python", "JavaScript", "TypeScript", "Rust", "Go", "Elixir", "Markdown",
                                 "JSON", "Shell", "HTML", "CSS", "Java", "Kotlin", "SQL", "YAML"};
  int n = 1 + static_cast<int>(rng() % 5);
  std::string body = "{\"coded_at\":\"" + codedAt(rng) + "\",\"xps\":[";
  for (int i = 0; i < n; ++i) {
    body += std::string(i ? "," : "") + "{\"language\":\"" + kLangs[rng() % 16] +
            "\",\"xp\":" + std::to_string(1 + rng() % 40) + "}";
  }
  return body + "]}";
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, adminPort = 0, users = 1000, connections = 64, seconds = 10, warmup = 2;
  std::string adminToken;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = std::stoi(v);
    else if (k == "--admin-port") adminPort = std::stoi(v);
    else if (k == "--admin-token") adminToken = v;
    else if (k == "--users") users = std::stoi(v);
    else if (k == "--connections") connections = std::stoi(v);
    else if (k == "--seconds") seconds = std::stoi(v);
    else if (k == "--warmup") warmup = std::stoi(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (!port || !adminPort || adminToken.empty()) {
    std::cerr << "usage: ingest_bench --port P --admin-port A --admin-token T [--users N] [--connections C] "
                 "[--seconds S] [--warmup W]\n";
    return 2;
  }

  auto t0 = Clock::now();
  std::vector<std::string> tokens;
  for (int u = 0; u < users; ++u) {
    std::string name = "bench" + std::to_string(u);
    adminRun(adminPort, adminToken, "web.create-user", {name});
    tokens.push_back(adminRun(adminPort, adminToken, "web.create-machine", {name, "laptop"}));
    tokens.push_back(adminRun(adminPort, adminToken, "web.create-machine", {name, "desktop"}));
  }
  std::fprintf(stderr, "created %d users x 2 machines in %.1f s\n", users,
               std::chrono::duration<double>(Clock::now() - t0).count());

  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(connections));  // microseconds
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(c * 7919 + 1));
      Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
      s.setKeepAlive(true);
      auto& mine = lat[static_cast<size_t>(c)];
      mine.reserve(200000);
      while (!stop) {
        const std::string& token = tokens[rng() % tokens.size()];
        std::string body = pulseBody(rng);
        auto start = Clock::now();
        try {
          Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/api/my/pulses",
                                     Poco::Net::HTTPMessage::HTTP_1_1);
          req.setKeepAlive(true);
          req.set("X-API-Token", token);
          req.setContentType("application/json");
          req.setContentLength(static_cast<std::streamsize>(body.size()));
          s.sendRequest(req) << body;
          Poco::Net::HTTPResponse resp;
          std::string out;
          Poco::StreamCopier::copyToString(s.receiveResponse(resp), out);
          if (resp.getStatus() != 201) ++errors;
        } catch (const std::exception&) {
          ++errors;
          s.reset();
        }
        if (measuring)
          mine.push_back(static_cast<uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count()));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(warmup));
  long errorsBefore = errors;
  measuring = true;
  auto m0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  measuring = false;
  double elapsed = std::chrono::duration<double>(Clock::now() - m0).count();
  stop = true;
  for (auto& t : threads) t.join();

  std::vector<uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))] / 1000.0;
  };
  std::printf("pulses=%zu seconds=%.2f pulses_per_s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%ld\n", all.size(), elapsed,
              all.size() / elapsed, pct(0.50), pct(0.99), errors - errorsBefore);
  return errors - errorsBefore == 0 ? 0 : 1;
}
