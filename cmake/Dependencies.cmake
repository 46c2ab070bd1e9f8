# Every dependency comes from Debian 12 packages (see docs/building.md).

# Debian's PocoDataPostgreSQL config links PostgreSQL::client, which nothing defines.
find_package(PostgreSQL REQUIRED)
if(NOT TARGET PostgreSQL::client)
  add_library(PostgreSQL::client INTERFACE IMPORTED)
  target_link_libraries(PostgreSQL::client INTERFACE PostgreSQL::PostgreSQL)
endif()

find_package(Poco REQUIRED COMPONENTS Foundation Net Util JSON NetSSL Crypto)
find_package(spdlog REQUIRED)
find_package(Catch2 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)  # the event log's packed rows
