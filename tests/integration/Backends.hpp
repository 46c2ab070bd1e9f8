// Host arguments selecting a test database, for tests that run once per backend.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "HostProcess.hpp"

namespace codestats::test {

struct BackendArgs {
  std::unique_ptr<PgSchema> schema;  // keeps the PostgreSQL schema alive for the test
  std::vector<std::string> args;
};

inline BackendArgs backendArgs(const std::string& backend) {
  BackendArgs b;
  if (backend == "postgres") {
    b.schema = std::make_unique<PgSchema>();
    b.args = {"--set", "db.backend=postgres", "--set", "db.postgres.conninfo=" + b.schema->conninfo()};
  }
  return b;
}

inline std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace codestats::test
