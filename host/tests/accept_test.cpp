// Tests for the SDK's <codestats/accept.hpp>: the 406 rule and the form of error answers,
// shared by the host's own 404/405 and the modules.
#include <catch2/catch.hpp>

#include <codestats/accept.hpp>

using codestats::acceptAllows;
using codestats::ErrorForm;
using codestats::errorForm;

namespace {
// What Chromium and Firefox send when they load a page.
constexpr const char* kChromium =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7";
constexpr const char* kFirefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
// Java's URLConnection default (clients.md): an editor plugin, not a browser.
constexpr const char* kJava = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2";
}  // namespace

TEST_CASE("accept: acceptAllows is the original's 406 rule", "[accept]") {
  CHECK(acceptAllows(std::nullopt, "application/json"));
  CHECK(acceptAllows("", "application/json"));
  CHECK(acceptAllows("*/*", "application/json"));
  CHECK(acceptAllows("application/*", "application/json"));
  CHECK(acceptAllows("Application/JSON; charset=utf-8", "application/json"));
  CHECK(acceptAllows("application/json, text/plain, */*", "application/json"));  // axios
  CHECK(acceptAllows(kJava, "application/json"));
  CHECK(acceptAllows(kChromium, "application/json"));  // through */*;q=0.8
  CHECK_FALSE(acceptAllows("text/html", "application/json"));
  CHECK_FALSE(acceptAllows("text/html, text/*", "application/json"));
  CHECK_FALSE(acceptAllows("application/json;q=0", "application/json"));
  CHECK_FALSE(acceptAllows("*/*;q=0", "text/csv"));
  CHECK(acceptAllows("text/*", "text/csv"));
  CHECK_FALSE(acceptAllows("application/json", "text/html"));
}

TEST_CASE("accept: errorForm answers browsers with HTML and everyone else with JSON", "[accept]") {
  CHECK(errorForm(kChromium) == ErrorForm::Html);
  CHECK(errorForm(kFirefox) == ErrorForm::Html);
  CHECK(errorForm("text/html") == ErrorForm::Html);
  CHECK(errorForm("application/xhtml+xml") == ErrorForm::Html);
  CHECK(errorForm("text/html, application/json") == ErrorForm::Html);  // a tie: the page
  CHECK(errorForm(std::nullopt) == ErrorForm::Json);
  CHECK(errorForm("") == ErrorForm::Json);
  CHECK(errorForm("*/*") == ErrorForm::Json);
  CHECK(errorForm("application/json") == ErrorForm::Json);
  CHECK(errorForm("application/json, text/plain, */*") == ErrorForm::Json);
  CHECK(errorForm("text/html;q=0.5, application/json") == ErrorForm::Json);
  CHECK(errorForm("text/html;q=0") == ErrorForm::Json);
  CHECK(errorForm(kJava) == ErrorForm::Html);  // names text/html first: treated as a browser
}
