// The SDK testing kit (sdk/include/codestats/testing/fake_host.hpp) against small modules
// written here: the behaviours a module author relies on, most of all that the fake host
// refuses what the real host refuses (registration phases, table ownership, transactions).
#include <catch2/catch.hpp>

#include <codestats/sdk.hpp>
#include <codestats/testing/fake_host.hpp>

#include <cstring>
#include <string>
#include <vector>

using codestats::testing::FakeHost;
using codestats::testing::HttpRequest;
using codestats::testing::LoadError;

namespace {

// Routes of every kind, config, KV, tasks and events.
class Kitchen : public codestats::Module {
 public:
  explicit Kitchen(codestats::Host h) : Module(h) {
    host().rejectUnknownConfig({"greeting"});
    greeting_ = host().config("greeting", "hello");
    route("GET", "/k/greet/:name", [this](const codestats::Request& rq, codestats::Response& rs) {
      rs.text(200, greeting_ + " " + std::string(*rq.param("name")) + " q=" + std::string(rq.query()) +
                       " h=" + std::string(rq.header("X-Test").value_or("-")));
    });
    route("*", "/k/files/*rest", [](const codestats::Request& rq, codestats::Response& rs) {
      rs.text(200, std::string(rq.method()) + " " + std::string(*rq.param("rest")));
    });
    route("GET", "/k/files/special",
          [](const codestats::Request&, codestats::Response& rs) { rs.text(200, "literal"); });
    route("GET", "/k/boom",
          [](const codestats::Request&, codestats::Response&) { throw std::runtime_error("kaboom"); });
    route("POST", "/k/later", [this](const codestats::Request& rq, codestats::Response& rs) {
      std::string body(rq.body());
      host().submit([this, body] { host().kvPut("task", body); });
      host().publish("kitchen.posted", body);
      rs.status(202);
    });
    batchRoute("POST", "/k/batch", codestats::BatchOptions{},
               [this](const std::vector<codestats::Request>& rq, std::vector<codestats::Response>& rs) {
                 ++batchCalls_;
                 for (size_t i = 0; i < rq.size(); ++i)
                   rs[i].text(200, std::to_string(rq.size()) + ":" + std::string(rq[i].body()));
               });
    // Writes a header and part of a body before it throws: resp_fail must drop both.
    quickRoute("GET", "/k/quick/:what", [](const codestats::Request& rq, codestats::Response& rs) {
      std::string what(rq.param("what").value_or(""));
      rs.header("X-Partial", "yes").write("partial ");
      if (what == "boom") throw std::runtime_error("quick boom");
      rs.text(200, what);
    });
    route("GET", "/k/batches",
          [this](const codestats::Request&, codestats::Response& rs) { rs.text(200, std::to_string(batchCalls_)); });
    subscribe("kitchen.*", [this](std::string_view topic, std::string_view payload) {
      seen_ += std::string(topic) + "=" + std::string(payload) + ";";
      if (payload == "fail") throw std::runtime_error("bad payload");
    });
    route("GET", "/k/seen", [this](const codestats::Request&, codestats::Response& rs) { rs.text(200, seen_); });
    command("metrics", "metrics: statuses of gauge, observe, conflicting and invalid names",
            [this](const std::vector<std::string>&) {
              std::string out = std::to_string(host().gauge("depth", 3)) + ",";
              out += std::to_string(host().observe("batch_size", 2)) + ",";
              out += std::to_string(host().gauge("batch_size", 1)) + ",";
              out += std::to_string(host().gauge("bad_total", 1));
              host().counter("hits", 2);
              return out;
            });
    route("GET", "/k/late-status",
          [this](const codestats::Request&, codestats::Response& rs) { rs.text(200, std::to_string(lateStatus)); });
    command("ttl", "ttl KEY MS", [this](const std::vector<std::string>& a) {
      host().kvPut(a.at(0), "v", static_cast<uint32_t>(std::stoul(a.at(1))));
      return std::string("ok");
    });
  }
  void start() override {
    // Registering after create() is refused as by the host.
    try {
      route("GET", "/k/late", [](const codestats::Request&, codestats::Response&) {});
    } catch (const codestats::Error& e) {
      lateStatus = e.code();
    }
  }
  // A task submitted while stopping still runs before the instance is destroyed.
  void stop() override {
    host().submit([this] { host().kvPut("stopped", "yes"); });
  }
  cs_status lateStatus = CS_OK;

 private:
  std::string greeting_;
  std::string seen_;
  int batchCalls_ = 0;
};

// A 1.4 module that owns notes_items, publishes notes.items v1 and tries other tables.
class Notes : public codestats::Module {
 public:
  explicit Notes(codestats::Host h) : Module(h) {
    migration(2, "index", "CREATE INDEX IF NOT EXISTS notes_items_text ON notes_items (text)");
    migration(1, "table", "CREATE TABLE IF NOT EXISTS notes_items (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)");
    ownsTables({"notes_items"});
    publishes("notes.items", 1, {"notes_items"});
    uses("web.accounts", 1);
    provide("notes", 1, [this](std::string_view method, std::string_view json) -> std::string {
      std::string sql(json);
      if (method == "query") {
        auto rows = host().query(sql);
        return rows.empty() ? "" : std::string(rows[0].text(0));
      }
      if (method == "add") {
        host().query("INSERT INTO notes_items (text) VALUES ($1)", {sql});
        return "{}";
      }
      if (method == "tx") {  // the second insert fails: nothing stays
        host().transaction([&](codestats::Tx& tx) {
          tx.query("INSERT INTO notes_items (text) VALUES ($1)", {"in-tx"});
          tx.query("INSERT INTO notes_items (text) VALUES ($1)", {"in-tx"});
        });
        return "{}";
      }
      if (method == "nested") {
        host().transaction([&](codestats::Tx&) { host().transaction([](codestats::Tx&) {}); });
        return "{}";
      }
      if (method == "outside") {
        host().transaction([&](codestats::Tx&) { host().query("INSERT INTO notes_items (text) VALUES ('x')"); });
        return "{}";
      }
      throw codestats::Error(CS_E_NOT_FOUND, "no method");
    });
  }
};

// Reads notes.items v1 through the contract.
class Reader : public codestats::Module {
 public:
  explicit Reader(codestats::Host h) : Module(h) {
    uses("notes.items", 1);
    provide("reader", 1, [this](std::string_view, std::string_view json) {
      return std::to_string(host().query(std::string(json))[0].i64(0));
    });
  }
};

class Thief : public codestats::Module {
 public:
  explicit Thief(codestats::Host h) : Module(h) { ownsTables({"notes_items"}); }
};

class BadMigration : public codestats::Module {
 public:
  explicit BadMigration(codestats::Host h) : Module(h) {
    ownsTables({"bad_own"});
    migration(1, "touches users", "CREATE TABLE bad_own (id INTEGER); ALTER TABLE users ADD COLUMN evil TEXT");
  }
};

class Channels : public codestats::Module {
 public:
  explicit Channels(codestats::Host h) : Module(h) {
    onSocketConnect([](std::string_view query, std::string_view) -> std::optional<std::string> {
      if (query == "token=bad") return std::nullopt;
      return std::string("user:7");
    });
    codestats::ChannelHandlers handlers;
    handlers.onJoin = [](const codestats::ChannelCall& c) {
      if (c.identity.empty()) return codestats::ChannelReply::refuse(R"({"reason":"unauthorized"})");
      return codestats::ChannelReply::accept(R"({"hi":1})", "assigned");
    };
    handlers.onEvent = [this](const codestats::ChannelCall& c) {
      host().push(c.conn, c.topic, "echo", c.payloadJson);
      host().broadcast(c.topic, "said", std::string(R"({"assigns":")") + std::string(c.assigns) + "\"}");
      return codestats::ChannelReply::accept();
    };
    handlers.onLeave = [this](const codestats::ChannelCall& c) { host().info("left " + std::string(c.topic)); };
    channel("room:*", handlers);
  }
};

// A module with a fallback route (its own 404 page), as web registers one.
class WithFallback : public codestats::Module {
 public:
  explicit WithFallback(codestats::Host h) : Module(h) {
    route("GET", "/page", [](const codestats::Request&, codestats::Response& resp) { resp.text(200, "page"); });
    route("*", "/*path", [](const codestats::Request&, codestats::Response& resp) { resp.text(404, "own 404"); });
  }
};

}  // namespace

TEST_CASE("FakeHost: a fallback route answers unknown paths and never hides a 405") {
  FakeHost host;
  REQUIRE(host.load<WithFallback>("fallback") == "fallback");
  CHECK(host.request("GET", "/page").body == "page");
  auto unknown = host.request("POST", "/no/such/page");
  CHECK(unknown.status == 404);
  CHECK(unknown.body == "own 404");
  auto wrong = host.request("DELETE", "/page");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == std::string("GET"));
}

TEST_CASE("FakeHost routes like the host") {
  FakeHost host;
  host.config("greeting", "hi");
  REQUIRE(host.load<Kitchen>("kitchen") == "kitchen");

  auto r = host.request("GET", "//k/greet/ann/?x=1", "", {{"x-test", "yes"}});
  CHECK(r.status == 200);
  CHECK(r.body == "hi ann q=x=1 h=yes");
  CHECK(r.header("X-Request-Id"));
  CHECK(host.request("DELETE", "/k/files/a/b").body == "DELETE a/b");
  CHECK(host.request("GET", "/k/files/special").body == "literal");  // literal beats the capture
  CHECK(host.request("GET", "/k/files/../etc").status == 400);
  CHECK(host.request("HEAD", "/k/greet/x").body.empty());
  auto wrong = host.request("PUT", "/k/greet/x");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == std::string("GET"));
  CHECK(host.request("GET", "/nope").status == 404);

  auto boom = host.request("GET", "/k/boom");
  CHECK(boom.status == 500);
  CHECK(boom.body.find("\"request_id\"") != std::string::npos);
  CHECK(host.lastError().find("kaboom") != std::string::npos);
  CHECK(host.logged("kaboom", CS_LOG_ERROR));
}

TEST_CASE("FakeHost: config, registration phases, tasks, events, KV") {
  FakeHost host;
  SECTION("unknown config refuses the load") {
    host.config("colour", "red");
    CHECK_THROWS_AS(host.load<Kitchen>("kitchen"), LoadError);
    CHECK_FALSE(host.loaded("kitchen"));
  }
  SECTION("the rest") {
    host.load<Kitchen>("kitchen");
    CHECK(host.request("POST", "/k/later", "payload").status == 202);
    // The task and the event ran when request() returned.
    CHECK(host.kvGet("task") == std::string("payload"));
    CHECK(host.request("GET", "/k/seen").body == "kitchen.posted=payload;");
    REQUIRE(host.published().size() == 1);
    CHECK(host.published()[0].module == "kitchen");

    auto failed = host.publish("kitchen.direct", "fail");
    CHECK(failed.status == CS_E_MODULE);
    CHECK(failed.error == "bad payload");
    CHECK(host.publish("other.topic", "x").ok());

    CHECK(host.runCommand("kitchen.ttl", {"k", "100"}).output == "ok");
    CHECK(host.kvGet("k"));
    host.advanceClock(100);
    CHECK_FALSE(host.kvGet("k"));
    CHECK(host.runCommand("kitchen.nope").status == CS_E_NOT_FOUND);

    host.unload("kitchen");
    CHECK(host.kvGet("stopped", "kitchen") == std::string("yes"));
    CHECK(host.request("GET", "/k/seen").status == 404);
  }
}

TEST_CASE("FakeHost: registration after create() is CS_E_STATE") {
  FakeHost host;
  host.load<Kitchen>("kitchen");
  // start() tried to register a route and got CS_E_STATE.
  CHECK(host.request("GET", "/k/late").status == 404);
  CHECK(host.request("GET", "/k/late-status").body == std::to_string(CS_E_STATE));
}

TEST_CASE("FakeHost: batch routes") {
  FakeHost host;
  host.load<Kitchen>("kitchen");
  CHECK(host.request("POST", "/k/batch", "one").body == "1:one");
  auto out = host.requestBatch({HttpRequest{"POST", "/k/batch", "a", {}}, HttpRequest{"POST", "/k/batch", "b", {}}});
  REQUIRE(out.size() == 2);
  CHECK(out[0].body == "2:a");
  CHECK(out[1].body == "2:b");
  CHECK(host.request("GET", "/k/batches").body == "2");
  CHECK_THROWS_AS(host.requestBatch({HttpRequest{"GET", "/k/boom", "", {}}}), std::invalid_argument);
}

TEST_CASE("FakeHost: a quick route answers each request alone") {
  FakeHost host;
  host.load<Kitchen>("kitchen");
  auto out = host.requestBatch({HttpRequest{"GET", "/k/quick/a", "", {}}, HttpRequest{"GET", "/k/quick/boom", "", {}},
                                HttpRequest{"GET", "/k/quick/b", "", {}}});
  REQUIRE(out.size() == 3);
  CHECK(out[0].status == 200);
  CHECK(out[0].body == "partial a");
  CHECK(out[2].body == "partial b");
  CHECK(out[1].status == 500);
  CHECK(out[1].body ==
        R"({"error":"Internal server error","request_id":")" + out[1].header("X-Request-Id").value_or("?") + "\"}");
  CHECK_FALSE(out[1].header("X-Partial"));
  CHECK(host.request("GET", "/k/quick/boom").status == 500);
}

TEST_CASE("FakeHost: migrations, services, transactions") {
  FakeHost host;
  host.sql("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)");
  host.sql("INSERT INTO users (name) VALUES ($1)", {"ann"});
  host.declareContract("web.accounts", 1, {"users"});
  host.load<Notes>("notes");
  CHECK(host.appliedMigrations("notes") == std::vector<int64_t>{1, 2});
  CHECK(host.ownerOf("notes_items") == std::string("notes"));

  CHECK(host.call("notes", 1, "add", "first").ok());
  auto dup = host.call("notes", 1, "add", "first");
  CHECK(dup.status == CS_E_CONFLICT);

  // Reads: its own table, the catalog, and users through web.accounts v1.
  CHECK(host.call("notes", 1, "query", "SELECT text FROM notes_items").output == "first");
  CHECK(host.call("notes", 1, "query", "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1").ok());
  CHECK(host.call("notes", 1, "query", "SELECT name FROM users").output == "ann");
  // Writes to users are not allowed: that goes through web's service.
  auto denied = host.call("notes", 1, "query", "UPDATE users SET name = 'x'");
  CHECK(denied.status == CS_E_DENIED);
  CHECK(denied.error.find("module notes may not write table users: it is owned by web") != std::string::npos);
  CHECK(host.call("notes", 1, "query", "PRAGMA journal_mode").status == CS_E_DENIED);
  CHECK(host.call("notes", 1, "query", "SELECT ?").error.find("unsupported placeholder") != std::string::npos);
  CHECK(host.call("notes", 1, "query", "SELECT 1; SELECT 2").error.find("several SQL statements") != std::string::npos);
  CHECK(host.sql("SELECT name FROM users").scalarText() == "ann");

  auto tx = host.call("notes", 1, "tx", "");
  CHECK(tx.status == CS_E_CONFLICT);
  CHECK(host.sql("SELECT count(*) FROM notes_items WHERE text = 'in-tx'").scalarInt() == 0);
  CHECK(host.call("notes", 1, "nested", "").status == CS_E_STATE);
  CHECK(host.call("notes", 1, "outside", "").status == CS_E_STATE);
  CHECK(host.sql("SELECT count(*) FROM notes_items").scalarInt() == 1);

  // A reader of notes.items v1 may read notes_items, not write it.
  host.load<Reader>("reader");
  CHECK(host.call("reader", 1, "", "SELECT count(*) FROM notes_items").output == "1");
  auto write = host.call("reader", 1, "", "DELETE FROM notes_items RETURNING 1");
  CHECK(write.status == CS_E_DENIED);

  // Test doubles of other modules' services.
  host.provide("ingest", 1, [](std::string_view method, std::string_view) {
    if (method == "fail") throw codestats::Error(CS_E_INVALID, "bad request");
    return std::string(R"({"ok":true})");
  });
  CHECK(host.call("ingest", 1, "x", "{}").output == R"({"ok":true})");
  CHECK(host.call("ingest", 1, "fail", "{}").status == CS_E_INVALID);
  CHECK(host.call("ingest", 2, "x", "{}").status == CS_E_UNAVAILABLE);

  // Migrations run once per (module, version): a second load applies nothing again.
  host.unload("reader");
  host.unload("notes");
  host.load<Notes>("notes");
  CHECK(host.appliedMigrations("notes") == std::vector<int64_t>{1, 2});
  CHECK(host.sql("SELECT count(*) FROM notes_items").scalarInt() == 1);
}

TEST_CASE("FakeHost refuses loads as the host does") {
  FakeHost host;
  host.sql("CREATE TABLE users (id INTEGER PRIMARY KEY)");
  SECTION("a table another module owns") {
    host.declareContract("web.accounts", 1, {"users"});
    host.load<Notes>("notes");
    CHECK_THROWS_WITH(host.load<Thief>("thief"), Catch::Contains("table notes_items is owned by notes"));
  }
  SECTION("a contract version the owner does not publish") {
    host.declareContract("web.accounts", 2, {"users"});
    CHECK_THROWS_WITH(host.load<Notes>("notes"),
                      Catch::Contains("notes uses web.accounts v1, which web does not publish"));
  }
  SECTION("a migration that alters another module's table, rolled back") {
    host.declareTable("users", "web");
    CHECK_THROWS_WITH(host.load<BadMigration>("bad"), Catch::Contains("may not alter table users"));
    CHECK(host.sql("SELECT count(*) FROM sqlite_master WHERE name = 'bad_own'").scalarInt() == 0);
    CHECK(host.appliedMigrations("bad").empty());
  }
  SECTION("a bad name and a second load") {
    CHECK_THROWS_AS(host.load<Thief>("Bad-Name"), LoadError);
    host.load<Thief>("thief");
    CHECK_THROWS_WITH(host.load<Thief>("thief"), Catch::Contains("already loaded"));
  }
}

TEST_CASE("FakeHost: channels and metrics") {
  FakeHost host;
  host.load<Channels>("chan");
  CHECK(host.connectSocket("token=ok").output == "user:7");
  CHECK(host.connectSocket("token=bad").status == CS_E_REFUSED);

  auto refused = host.join(1, "room:a", "{}", "");
  CHECK(refused.status == CS_E_REFUSED);
  CHECK(refused.output == R"({"reason":"unauthorized"})");
  auto joined = host.join(1, "room:a", "{}", "user:7");
  CHECK(joined.ok());
  CHECK(joined.output == R"({"hi":1})");
  CHECK(host.join(1, "lobby").status == CS_E_NOT_FOUND);

  CHECK(host.channelEvent(1, "room:a", "say", R"({"t":"x"})").ok());
  REQUIRE(host.pushes().size() == 1);
  CHECK(host.pushes()[0].payload == R"({"t":"x"})");
  REQUIRE(host.broadcasts().size() == 1);
  CHECK(host.broadcasts()[0].payload == R"({"assigns":"assigned"})");
  CHECK(host.channelEvent(2, "room:a", "say").status == CS_E_NOT_FOUND);
  host.leave(1, "room:a");
  CHECK(host.logged("left room:a"));
}

TEST_CASE("FakeHost: metrics") {
  FakeHost host;
  host.load<Kitchen>("kitchen");
  CHECK(host.runCommand("metrics").output == "0,0,-6,-2");  // ok, ok, CS_E_CONFLICT, CS_E_INVALID
  CHECK(host.gauge("depth") == 3.0);
  CHECK(host.observations("batch_size") == std::vector<double>{2.0});
  CHECK(host.counter("hits") == 2);
  CHECK_FALSE(host.gauge("bad_total"));
}

TEST_CASE("FakeHost: the host table is complete") {
  FakeHost host;
  const cs_host_api& api = host.api();
  CHECK(api.struct_size == sizeof(cs_host_api));
  CHECK(api.abi_minor == CS_ABI_MINOR);
  // Every entry is set: the table is a run of pointers after the header.
  const auto* first = reinterpret_cast<const char*>(&api.buf_append);
  const auto* end = reinterpret_cast<const char*>(&api) + sizeof(cs_host_api);
  for (const char* p = first; p < end; p += sizeof(void*)) {
    void* fn = nullptr;
    std::memcpy(&fn, p, sizeof fn);
    CHECK(fn != nullptr);
  }
}
