// scripts/backup.sh and scripts/restore.sh on every DB backend (issue 9 item 4): a backup
// taken while the host serves, restored into a fresh database, gives a host with the same
// row counts, XP sums, aggregates and pulses; retention keeps the newest N.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "backends.hpp"
#include "ops_helpers.hpp"

using namespace codestats::test;
namespace fs = std::filesystem;

namespace {

// Runs a shell command; returns the exit code, output (stdout and stderr) in `out`.
int shell(const std::string& cmd, std::string& out) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  out.clear();
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string script(const std::string& name) { return std::string(CODESTATS_TEST_SOURCE_DIR) + "/scripts/" + name; }

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ctl(const HostProcess& h, const std::vector<std::string>& args) {
  std::string out;
  int rc = h.ctl(args, out);
  INFO(out);
  REQUIRE(rc == 0);
  return out;
}

// Some users, machines and pulses with several languages, days and time zones.
void fill(const HostProcess& h) {
  for (const char* user : {"alice", "bob"}) {
    ctl(h, {"run", "web.create-user", user});
    for (const char* machine : {"laptop", "desktop"}) {
      std::string token = trim(ctl(h, {"run", "web.create-machine", user, machine}));
      for (int i = 0; i < 10; ++i) {
        std::time_t t = std::time(nullptr) - i * 40000;
        std::tm tm{};
        gmtime_r(&t, &tm);
        char at[40];
        std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S+02:00", &tm);
        std::string body = R"({"coded_at":")" + std::string(at) + R"(","xps":[{"language":"L)" + std::to_string(i % 3) +
                           R"(","xp":)" + std::to_string(i + 1) + R"(},{"language":"Go","xp":2}]})";
        auto r =
            h.request("POST", "/api/my/pulses", body, {{"X-API-Token", token}, {"Content-Type", "application/json"}});
        REQUIRE(r.status == 201);
      }
    }
  }
}

struct Snapshot {
  std::string stats, alicePulses, bobPulses;
};

// ingest.stats without the group committer's in-memory counters (batches, largest_batch),
// which belong to the running process, not to the database.
std::string dbStats(const HostProcess& h) {
  auto o = parseObject(ctl(h, {"run", "ingest.stats"}));
  o->remove("batches");
  o->remove("largest_batch");
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

Snapshot snapshot(const HostProcess& h) {
  return {dbStats(h), trim(ctl(h, {"run", "ingest.pulses", "alice", "1000"})),
          trim(ctl(h, {"run", "ingest.pulses", "bob", "1000"}))};
}

std::string schemaOf(const std::string& conninfo) {
  auto at = conninfo.find("search_path=");
  REQUIRE(at != std::string::npos);
  auto end = conninfo.find_first_of(" '", at);
  return conninfo.substr(at + 12, end - at - 12);
}

}  // namespace

TEST_CASE("backup: an online backup restored into a fresh database has the same data", "[backup][db]") {
  for (const auto& backend : testBackends()) {
    DYNAMIC_SECTION(backend) {
      TempDir var, dest, restoredVar;
      BackendArgs db = backendArgs(backend);
      std::vector<std::string> args = db.args + std::vector<std::string>{"--set", "modules=web,ingest"};
      HostProcess h(var.path(), args);
      fill(h);
      Snapshot before = snapshot(h);
      REQUIRE(parseObject(before.stats)->getValue<int64_t>("pulses") == 40);

      std::string backupCmd = script("backup.sh") + " --dest " + quote(dest.path()) + " --keep 2";
      if (backend == "sqlite") {
        backupCmd += " --backend sqlite --sqlite " + quote(var.path() + "/codestats.db");
      } else {
        backupCmd += " --backend postgres --conninfo " + quote(db.schema->conninfo()) + " --pg-schema " +
                     schemaOf(db.schema->conninfo());
      }
      std::string out;
      REQUIRE(shell(backupCmd, out) == 0);  // online: the host is running
      std::string file = trim(out);
      INFO(file);
      REQUIRE(fs::exists(file));
      CHECK((fs::status(file).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);

      std::vector<std::string> dbNames;
      // Restores `backup` into a fresh database and starts a host on it.
      auto restore = [&](const std::string& backup, const TempDir& into) {
        std::vector<std::string> a{"--set", "modules=web,ingest"};
        if (backend == "sqlite") {
          std::string path = into.path() + "/codestats.db";
          REQUIRE(shell(script("restore.sh") + " " + quote(backup) + " --sqlite " + quote(path), out) == 0);
          // Restoring over an existing database needs --force.
          CHECK(shell(script("restore.sh") + " " + quote(backup) + " --sqlite " + quote(path), out) != 0);
          CHECK(contains(out, "--force"));
        } else {
          std::string name =
              "restore_" + std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}() % 100000);
          REQUIRE(
              shell("psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres -c 'CREATE DATABASE " + name + " OWNER app'",
                    out) == 0);
          dbNames.push_back(name);
          std::string fresh = std::string(std::getenv("PGTEST_URI")) + " dbname=" + name;
          REQUIRE(shell(script("restore.sh") + " " + quote(backup) + " --conninfo " + quote(fresh), out) == 0);
          a = a + std::vector<std::string>{"--set", "db.backend=postgres", "--set",
                                           "db.postgres.conninfo=" + fresh + " options='-csearch_path=" +
                                               schemaOf(db.schema->conninfo()) + " -cTimeZone=UTC'"};
        }
        return std::make_unique<HostProcess>(into.path(), a);
      };

      {
        auto restored = restore(file, restoredVar);
        Snapshot after = snapshot(*restored);
        CHECK(after.stats == before.stats);
        CHECK(after.alicePulses == before.alicePulses);
        CHECK(after.bobPulses == before.bobPulses);
        ctl(*restored, {"run", "ingest.rebuild-aggregates", "--all"});
        CHECK(dbStats(*restored) == before.stats);
      }

      // Backups under write load are consistent snapshots (each pulse and its aggregate
      // updates commit together), and retention keeps the newest two of three.
      std::string token = trim(ctl(h, {"run", "web.create-machine", "bob", "writer"}));
      std::atomic<bool> stop{false};
      std::atomic<int> written{0};
      std::thread writer([&] {
        while (!stop) {
          std::time_t t = std::time(nullptr);
          std::tm tm{};
          gmtime_r(&t, &tm);
          char at[40];
          std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
          auto r = h.request("POST", "/api/my/pulses",
                             R"({"coded_at":")" + std::string(at) + R"(","xps":[{"language":"W","xp":3}]})",
                             {{"X-API-Token", token}, {"Content-Type", "application/json"}});
          if (r.status == 201) ++written;
        }
      });
      std::string newest;
      for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // names have one-second resolution
        REQUIRE(shell(backupCmd, out) == 0);
        newest = trim(out);
      }
      stop = true;
      writer.join();
      CHECK(written > 0);
      h.stop();
      int files = 0;
      for (const auto& e : fs::directory_iterator(dest.path())) files += e.path().filename().string()[0] == '.' ? 0 : 1;
      CHECK(files == 2);
      CHECK_FALSE(fs::exists(file));
      {
        TempDir loadVar;
        auto restored = restore(newest, loadVar);
        auto s = parseObject(ctl(*restored, {"run", "ingest.stats"}));
        int64_t sum = s->getValue<int64_t>("xps_sum");
        CHECK(sum > parseObject(before.stats)->getValue<int64_t>("xps_sum"));
        for (const char* a : {"by_language", "by_machine", "by_day", "by_hour", "totals"})
          CHECK(s->getValue<int64_t>(a) == sum);
      }
      for (const auto& name : dbNames) shell("psql -X -q -U postgres -d postgres -c 'DROP DATABASE " + name + "'", out);
    }
  }
}
