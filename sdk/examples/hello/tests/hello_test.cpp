// Unit tests of the example module with the SDK's fake host: no running codestatsd, no
// network, an in-memory SQLite database. The module is the built example.so (the file the
// host would load, checked by codestats-check-module), loaded through its cs_module_entry_v1.
//
// Deliberately framework-free (a CHECK macro and main) so the example needs nothing beyond
// the SDK and SQLite; Catch2, GoogleTest or doctest work the same way.
#include <codestats/testing/fake_host.hpp>

#include <cstdio>
#include <string>

#ifndef EXAMPLE_MODULE_PATH
#error "EXAMPLE_MODULE_PATH (the path of example.so) must be defined"
#endif

namespace {

int checks = 0, failures = 0;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    ++checks;                                                                       \
    if (!(cond)) {                                                                  \
      ++failures;                                                                   \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
    }                                                                               \
  } while (0)

using codestats::testing::FakeHost;

void loadsAndGreets() {
  FakeHost host;
  CHECK(host.loadLibrary(EXAMPLE_MODULE_PATH) == "example");

  auto hello = host.request("GET", "/example/hello");
  CHECK(hello.status == 200);
  CHECK(hello.header("content-type") == std::string("text/plain"));
  CHECK(hello.body == "Hello from a third-party module\n");
  CHECK(host.request("GET", "//example/hello/").body == hello.body);  // normalised like the host
  CHECK(host.request("POST", "/example/hello").status == 405);
  CHECK(host.request("GET", "/example/nothing").status == 404);

  auto greet = host.runCommand("example.greet", {"big", "world"});
  CHECK(greet.ok());
  CHECK(greet.output == "hello, big world");
  host.runCommand("greet", {"again"});
  CHECK(host.kvGet("greetings") == std::string("2"));
}

void storesAndListsNotes() {
  FakeHost host;
  host.loadLibrary(EXAMPLE_MODULE_PATH);
  CHECK(host.appliedMigrations("example") == std::vector<int64_t>{1});
  CHECK(host.ownerOf("example_notes") == std::string("example"));

  auto created = host.request("POST", "/example/notes", "buy \"milk\"", {{"Content-Type", "text/plain"}});
  CHECK(created.status == 201);
  CHECK(created.body == R"({"id":1})");
  CHECK(host.request("POST", "/example/notes", "call mum").body == R"({"id":2})");
  CHECK(host.request("POST", "/example/notes", "").status == 400);

  auto list = host.request("GET", "/example/notes");
  CHECK(list.status == 200);
  CHECK(list.body == R"([{"id":1,"text":"buy \"milk\""},{"id":2,"text":"call mum"}])");
  CHECK(host.request("GET", "/example/notes/2").body == "call mum");
  CHECK(host.request("GET", "/example/notes/9").status == 404);

  // The rows, read directly by the test.
  CHECK(host.sql("SELECT count(*) FROM example_notes").scalarInt() == 2);

  // Each note was announced.
  CHECK(host.published().size() == 2);
  CHECK(host.published()[0].topic == "example.note_added");
  CHECK(host.published()[1].payload == R"({"id":2,"text":"call mum"})");
}

void serviceEventAndTimer() {
  FakeHost host;
  host.loadLibrary(EXAMPLE_MODULE_PATH);
  host.request("POST", "/example/notes", "one");
  host.request("POST", "/example/notes", "two");

  auto count = host.call("example", 1, "count", "{}");
  CHECK(count.ok());
  CHECK(count.output == R"({"count":2})");
  auto unknown = host.call("example", 1, "nope", "{}");
  CHECK(unknown.status == CS_E_NOT_FOUND);
  CHECK(unknown.error.find("unknown method nope") != std::string::npos);
  CHECK(host.call("example", 2, "count", "{}").status == CS_E_UNAVAILABLE);

  CHECK(host.tick("notes_gauge").ok());
  CHECK(host.gauge("notes") == 2.0);

  CHECK(host.publish("example.reset", "{}").ok());
  CHECK(host.sql("SELECT count(*) FROM example_notes").scalarInt() == 0);
  CHECK(host.logged("notes reset"));
  CHECK(host.request("GET", "/example/notes").body == "[]");
}

}  // namespace

int main() {
  loadsAndGreets();
  storesAndListsNotes();
  serviceEventAndTimer();
  std::printf("hello_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
