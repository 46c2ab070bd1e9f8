// example: a small third-party codestats module.
//
// It shows what every module does: derive from codestats::Module, register everything in
// the constructor, and end with CODESTATS_MODULE(...) to generate the entry symbol. Load it
// with `codestatsctl load example ./example.so`, then
//   curl http://127.0.0.1:<port>/example/hello      -> Hello from a third-party module
//   codestatsctl run example.greet world             -> hello, world
//   curl -d 'buy milk' http://127.0.0.1:<port>/example/notes  -> 201 {"id":1}
//   curl http://127.0.0.1:<port>/example/notes       -> [{"id":1,"text":"buy milk"}]
// Besides a route and an admin command it owns a table (ABI 1.4) with its migration, provides
// the service example@1 ("count"), publishes example.note_added, deletes every note on the
// event example.reset, counts greetings in the KV store and exports a gauge on a timer.
// tests/hello_test.cpp tests all of it with the SDK's fake host (codestats/testing/fake_host.hpp).
#include <codestats/json.hpp>
#include <codestats/sdk.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace {

class ExampleModule : public codestats::Module {
 public:
  explicit ExampleModule(codestats::Host host) : Module(host) {
    route("GET", "/example/hello", [](const codestats::Request&, codestats::Response& resp) {
      resp.status(200).header("Content-Type", "text/plain").write("Hello from a third-party module\n");
    });

    command("greet", "greet NAME...: answers hello, NAME...", [this](const std::vector<std::string>& args) {
      this->host().kvIncr("greetings", 1);
      std::string text = "hello,";
      for (const auto& arg : args) text += " " + arg;
      return text;
    });

    // The notes table: created by the migration, owned by this module (others may not touch it).
    migration(1, "example_notes",
              "CREATE TABLE IF NOT EXISTS example_notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
              "CREATE TABLE IF NOT EXISTS example_notes (id BIGSERIAL PRIMARY KEY, text TEXT NOT NULL)");
    ownsTables({"example_notes"});

    // POST /example/notes stores the body as a note: 201 {"id":N}, 400 for an empty body.
    route("POST", "/example/notes", [this](const codestats::Request& req, codestats::Response& resp) {
      if (req.body().empty()) {
        resp.json(400, R"({"error":"empty note"})");
        return;
      }
      std::string text(req.body());
      auto rows = this->host().query("INSERT INTO example_notes (text) VALUES ($1) RETURNING id", {text});
      const int64_t id = rows[0].i64(0);
      this->host().publish("example.note_added",
                           "{\"id\":" + std::to_string(id) + ",\"text\":" + codestats::jsonString(text) + "}");
      resp.json(201, "{\"id\":" + std::to_string(id) + "}");
    });
    route("GET", "/example/notes", [this](const codestats::Request&, codestats::Response& resp) {
      auto rows = this->host().query("SELECT id, text FROM example_notes ORDER BY id");
      std::string body = "[";
      for (size_t i = 0; i < rows.size(); ++i)
        body += (i ? "," : "") + std::string("{\"id\":") + std::to_string(rows[i].i64(0)) +
                ",\"text\":" + codestats::jsonString(rows[i].text(1)) + "}";
      resp.json(200, body + "]");
    });
    route("GET", "/example/notes/:id", [this](const codestats::Request& req, codestats::Response& resp) {
      auto rows = this->host().query("SELECT text FROM example_notes WHERE id = CAST($1 AS INTEGER)",
                                     {std::string(*req.param("id"))});
      if (rows.empty()) {
        resp.json(404, R"({"error":"no such note"})");
        return;
      }
      resp.text(200, rows[0].text(0));
    });

    // The service example@1: "count" answers {"count":N}.
    provide("example", 1, [this](std::string_view method, std::string_view) {
      if (method != "count") throw codestats::Error(CS_E_NOT_FOUND, "unknown method " + std::string(method));
      return "{\"count\":" + std::to_string(countNotes()) + "}";
    });

    // Any module may ask for a reset; the notes go in one transaction.
    subscribe("example.reset", [this](std::string_view, std::string_view) {
      this->host().transaction([](codestats::Tx& tx) { tx.query("DELETE FROM example_notes"); });
      this->host().info("notes reset");
    });

    // The gauge codestats_example_notes, refreshed every minute.
    every("notes_gauge", std::chrono::minutes(1), [this] { this->host().gauge("notes", double(countNotes())); });
  }

 private:
  int64_t countNotes() { return host().query("SELECT count(*) FROM example_notes")[0].i64(0); }
};

}  // namespace

CODESTATS_MODULE(ExampleModule, "example", "1.1.0", 1)
