// Helpers for the host's own statements (migrations, the table-ownership registry): typed
// parameters and a transaction that rolls back unless committed.
#pragma once

#include "db/database.hpp"

#include <cstdint>
#include <string_view>

namespace codestats::host::db {

// Serialises schema changes across hosts on PostgreSQL (migrations, the host's own tables),
// inside a transaction. Any constant works as long as every host uses the same one; this is
// "codestat" in ASCII.
inline constexpr const char* kSchemaLockSql = "SELECT pg_advisory_xact_lock(7165055919061229940)";

inline cs_value textValue(std::string_view s) {
  cs_value v{};
  v.type = CS_VAL_TEXT;
  v.s = {s.data(), s.size()};
  return v;
}

inline cs_value intValue(int64_t i) {
  cs_value v{};
  v.type = CS_VAL_INT;
  v.i = i;
  return v;
}

// Runs `last` (the final writes) and commits, leaving durability to Pool::syncThrough (the
// returned position); rolls back and rethrows when either fails.
template <typename Last>
uint64_t finishTransaction(Connection& c, Last&& last) {
  try {
    last();
    return c.commitDeferringSync();
  } catch (...) {
    try {
      c.rollback();
    } catch (...) {
    }
    throw;
  }
}

// Rolls back unless committed. Errors from the rollback are swallowed: the error that
// made us leave is the one worth reporting, and the pool drops a broken connection.
class Transaction {
 public:
  explicit Transaction(Connection& c) : c_(c) { c_.begin(); }
  ~Transaction() {
    if (open_) {
      try {
        c_.rollback();
      } catch (...) {
      }
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    c_.commit();  // if this throws, the destructor still rolls back (SQLite keeps it open)
    open_ = false;
  }

 private:
  Connection& c_;
  bool open_ = true;
};

}  // namespace codestats::host::db
