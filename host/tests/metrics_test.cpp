// Tests for host/src/services/metrics.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "services/metrics.hpp"

using namespace codestats::host;
using Catch::Matchers::Contains;

namespace {

size_t countOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("metrics: counters without labels", "[metrics]") {
  Metrics m;
  CHECK(m.value("requests_total") == 0);  // unknown counter reads as 0
  auto& c = m.counter("requests_total");
  c += 3;
  CHECK(m.value("requests_total") == 3);
  m.counter("requests_total").fetch_add(2);
  CHECK(m.value("requests_total") == 5);
  CHECK(&m.counter("requests_total") == &c);  // the same storage every time
}

TEST_CASE("metrics: counters with labels are separate series", "[metrics]") {
  Metrics m;
  std::string ok = Metrics::label("status", "200");
  std::string err = Metrics::label("status", "500");
  m.counter("http_total", ok) += 7;
  m.counter("http_total", err) += 1;
  m.counter("http_total") += 2;
  CHECK(m.value("http_total", ok) == 7);
  CHECK(m.value("http_total", err) == 1);
  CHECK(m.value("http_total") == 2);
  CHECK(m.value("http_total", Metrics::label("status", "404")) == 0);
  CHECK(m.value("other_total", ok) == 0);
  CHECK(&m.counter("http_total", ok) != &m.counter("http_total", err));
}

TEST_CASE("metrics: counter storage never moves", "[metrics]") {
  Metrics m;
  auto* first = &m.counter("a_total", "k=\"0\"");
  for (int i = 0; i < 1000; ++i) m.counter("n" + std::to_string(i), "k=\"" + std::to_string(i) + "\"");
  CHECK(&m.counter("a_total", "k=\"0\"") == first);
}

TEST_CASE("metrics: renderPrometheus", "[metrics]") {
  Metrics m;
  CHECK(m.renderPrometheus().empty());

  m.counter("codestatsd_requests_total", Metrics::label("module", "ingest") + "," + Metrics::label("code", "201")) += 4;
  m.counter("codestatsd_requests_total", Metrics::label("module", "web")) += 9;
  m.counter("codestatsd_reloads_total") += 1;
  m.counter("codestatsd_zero_total");
  std::string out = m.renderPrometheus();
  INFO(out);

  CHECK_THAT(out, Contains("# TYPE codestatsd_requests_total counter\n"));
  CHECK_THAT(out, Contains("# TYPE codestatsd_reloads_total counter\n"));
  CHECK_THAT(out, Contains("codestatsd_requests_total{module=\"ingest\",code=\"201\"} 4\n"));
  CHECK_THAT(out, Contains("codestatsd_requests_total{module=\"web\"} 9\n"));
  CHECK_THAT(out, Contains("\ncodestatsd_reloads_total 1\n"));  // no braces without labels
  CHECK_THAT(out, Contains("\ncodestatsd_zero_total 0\n"));
  CHECK(out.find("codestatsd_reloads_total{") == std::string::npos);
  // one TYPE line per metric name, before its samples
  CHECK(countOf(out, "# TYPE codestatsd_requests_total counter") == 1);
  CHECK(out.find("# TYPE codestatsd_requests_total") < out.find("codestatsd_requests_total{"));
  CHECK(out.back() == '\n');

  // values reflect later increments
  m.counter("codestatsd_reloads_total") += 41;
  CHECK_THAT(m.renderPrometheus(), Contains("\ncodestatsd_reloads_total 42\n"));
}

TEST_CASE("metrics: label escapes quotes, backslashes and newlines", "[metrics]") {
  CHECK(Metrics::label("k", "plain") == "k=\"plain\"");
  CHECK(Metrics::label("k", "") == "k=\"\"");
  CHECK(Metrics::label("k", "say \"hi\"") == "k=\"say \\\"hi\\\"\"");
  CHECK(Metrics::label("k", "C:\\path\\x") == "k=\"C:\\\\path\\\\x\"");
  CHECK(Metrics::label("k", "two\nlines") == "k=\"two\\nlines\"");
  CHECK(Metrics::label("k", "\\n") == "k=\"\\\\n\"");  // a literal backslash-n is not a newline
  CHECK(Metrics::label("k", "\n\"\\") == "k=\"\\n\\\"\\\\\"");

  Metrics m;
  m.counter("x_total", Metrics::label("path", "/a\"b\n")) += 1;
  std::string out = m.renderPrometheus();
  CHECK_THAT(out, Contains("x_total{path=\"/a\\\"b\\n\"} 1\n"));
  // the raw newline from the value never reaches the output: every line is TYPE or sample
  CHECK(countOf(out, "\n") == 2);
}

TEST_CASE("metrics: sanitizeName", "[metrics]") {
  CHECK(Metrics::sanitizeName("requests_total") == "requests_total");
  CHECK(Metrics::sanitizeName("ns:sub_total") == "ns:sub_total");
  CHECK(Metrics::sanitizeName("AbC_09") == "AbC_09");
  CHECK(Metrics::sanitizeName("http.requests-total") == "http_requests_total");
  CHECK(Metrics::sanitizeName("a b/c{d}") == "a_b_c_d_");
  CHECK(Metrics::sanitizeName("9lives") == "_9lives");
  CHECK(Metrics::sanitizeName("") == "_");
  CHECK(Metrics::sanitizeName("caf\xc3\xa9") == "caf__");  // each non-ASCII byte replaced
  CHECK(Metrics::sanitizeName("_x") == "_x");
}

TEST_CASE("metrics: concurrent counter creation and increments", "[metrics]") {
  Metrics m;
  constexpr int kThreads = 8, kPer = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        m.counter("shared_total").fetch_add(1, std::memory_order_relaxed);
        m.counter("per_total", "t=\"" + std::to_string(t % 2) + "\"").fetch_add(1, std::memory_order_relaxed);
        if (i % 500 == 0) (void)m.renderPrometheus();
      }
    });
  for (auto& th : threads) th.join();
  CHECK(m.value("shared_total") == kThreads * kPer);
  CHECK(m.value("per_total", "t=\"0\"") == kThreads / 2 * kPer);
  CHECK(m.value("per_total", "t=\"1\"") == kThreads / 2 * kPer);
}
