// Where generated rows go: a SQLite file (prepared INSERTs in one transaction) or a
// PostgreSQL database (one COPY stream per table, on its own connection).
#pragma once

#include <memory>
#include <string>

#include "dataset.hpp"

namespace dataset {

std::unique_ptr<Sink> sqliteSink(const std::string& path);
std::unique_ptr<Sink> postgresSink(const std::string& conninfo);

}  // namespace dataset
