// An SQLite VFS that forwards everything to the default ("unix") VFS, except that the
// contiguous writes to a WAL file are gathered in memory and reach the file as one write.
// SQLite writes every WAL frame with two write() calls (24-byte header, then the page), so
// a group commit of ~120 frames cost ~240 syscalls in the single writer's critical path
// (bench/README.md, ingest "Round 3").
//
// What reaches the disk, and in which order, does not change: the buffer is written out
// before any other operation on that file (read, sync, size, truncate, file control,
// close), before a write that does not extend it, when it grows past its cap, and right
// after the page of a commit frame (frame header with a non-zero "database size" field),
// so a committed transaction is in the file before SQLite publishes it in the wal-index,
// whatever the synchronous mode. Not used for the database file or journals.
#pragma once

#include <cstdint>

namespace codestats::host::db {

// Registers the VFS (once per process, not as the default) and returns its name for
// sqlite3_open_v2; nullptr if registration failed (then open with the default VFS).
const char* walWriteCoalescingVfs();

// Writes that reached the underlying VFS for WAL files, and writes that SQLite issued to
// them, since the process started (tests and diagnostics).
struct WalWriteCounts {
  uint64_t issued = 0;
  uint64_t written = 0;
};
WalWriteCounts walWriteCounts();

}  // namespace codestats::host::db
