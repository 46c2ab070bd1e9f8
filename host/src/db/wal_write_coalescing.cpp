#include "db/wal_write_coalescing.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

namespace codestats::host::db {
namespace {

constexpr const char* kVfsName = "codestats-wal-coalescing";
constexpr size_t kPendingCap = 4u << 20;  // a group commit is ~0.5 MiB of frames
constexpr int kFrameHeaderSize = 24;      // WAL frame header; the WAL file header is 32
// The unix VFS writes at most 128 KiB - 1 per call (it masks the length to 17 bits and
// reports SQLITE_FULL for the rest), so a flush goes out in page-aligned pieces below that.
constexpr size_t kMaxWrite = 31 * 4096;

std::atomic<uint64_t> issuedWrites{0};
std::atomic<uint64_t> underlyingWrites{0};

sqlite3_vfs vfs{};                // this VFS, registered once
sqlite3_vfs* original = nullptr;  // the default VFS when it was registered
int innerFileSize = 0;            // room for the wrapped file (original's szOsFile)

// The VFS underneath: the current default (so that a VFS installed later as the default,
// e.g. by a test, still sees every file), unless it would not fit or is this one.
sqlite3_vfs* base() {
  sqlite3_vfs* d = sqlite3_vfs_find(nullptr);
  if (d == nullptr || d == &vfs || d->szOsFile > innerFileSize || d->iVersion < 2) return original;
  return d;
}

struct alignas(8) File {
  sqlite3_file file;     // what SQLite sees; must be first
  sqlite3_file* real;    // the default VFS's file, in the same allocation right after this
  std::string* pending;  // WAL files only: bytes not yet written, starting at pendingOffset
  sqlite3_int64 pendingOffset;
  bool flushAfterNextWrite;  // the header of a commit frame was just gathered
};

File* self(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
const sqlite3_io_methods& realMethods(File* f) { return *f->real->pMethods; }

int flush(File* f) {
  if (f->pending == nullptr || f->pending->empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (size_t done = 0; rc == SQLITE_OK && done < f->pending->size(); done += kMaxWrite) {
    size_t n = std::min(kMaxWrite, f->pending->size() - done);
    rc = realMethods(f).xWrite(f->real, f->pending->data() + done, static_cast<int>(n),
                               f->pendingOffset + static_cast<sqlite3_int64>(done));
    underlyingWrites.fetch_add(1, std::memory_order_relaxed);
  }
  f->pending->clear();
  return rc;
}

// A commit frame's header carries the database size after the commit (bytes 4..7, big
// endian); every other frame has zero there.
bool isCommitFrameHeader(const void* data, int n) {
  if (n != kFrameHeaderSize) return false;
  const auto* b = static_cast<const unsigned char*>(data);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int xWrite(sqlite3_file* pf, const void* data, int n, sqlite3_int64 offset) {
  File* f = self(pf);
  if (f->pending == nullptr) return realMethods(f).xWrite(f->real, data, n, offset);
  issuedWrites.fetch_add(1, std::memory_order_relaxed);
  std::string& p = *f->pending;
  if (!p.empty() && (offset != f->pendingOffset + static_cast<sqlite3_int64>(p.size()) ||
                     p.size() + static_cast<size_t>(n) > kPendingCap)) {
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  if (p.empty()) f->pendingOffset = offset;
  try {
    p.append(static_cast<const char*>(data), static_cast<size_t>(n));
  } catch (...) {  // out of memory: write through
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
    underlyingWrites.fetch_add(1, std::memory_order_relaxed);
    return realMethods(f).xWrite(f->real, data, n, offset);
  }
  if (f->flushAfterNextWrite) {  // the commit frame is complete: publishable from here on
    f->flushAfterNextWrite = false;
    return flush(f);
  }
  if (isCommitFrameHeader(data, n)) f->flushAfterNextWrite = true;
  return SQLITE_OK;
}

int xClose(sqlite3_file* pf) {
  File* f = self(pf);
  int rc = flush(f);
  int closed = realMethods(f).xClose(f->real);
  delete f->pending;
  f->pending = nullptr;
  return rc != SQLITE_OK ? rc : closed;
}

int xRead(sqlite3_file* pf, void* out, int n, sqlite3_int64 offset) {
  File* f = self(pf);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return realMethods(f).xRead(f->real, out, n, offset);
}

int xTruncate(sqlite3_file* pf, sqlite3_int64 size) {
  File* f = self(pf);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return realMethods(f).xTruncate(f->real, size);
}

int xSync(sqlite3_file* pf, int flags) {
  File* f = self(pf);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return realMethods(f).xSync(f->real, flags);
}

int xFileSize(sqlite3_file* pf, sqlite3_int64* size) {
  File* f = self(pf);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return realMethods(f).xFileSize(f->real, size);
}

int xLock(sqlite3_file* pf, int level) { return realMethods(self(pf)).xLock(self(pf)->real, level); }
int xUnlock(sqlite3_file* pf, int level) { return realMethods(self(pf)).xUnlock(self(pf)->real, level); }
int xCheckReservedLock(sqlite3_file* pf, int* out) {
  return realMethods(self(pf)).xCheckReservedLock(self(pf)->real, out);
}

int xFileControl(sqlite3_file* pf, int op, void* arg) {
  File* f = self(pf);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return realMethods(f).xFileControl(f->real, op, arg);
}

int xSectorSize(sqlite3_file* pf) { return realMethods(self(pf)).xSectorSize(self(pf)->real); }
int xDeviceCharacteristics(sqlite3_file* pf) { return realMethods(self(pf)).xDeviceCharacteristics(self(pf)->real); }

int xShmMap(sqlite3_file* pf, int region, int size, int extend, void volatile** out) {
  File* f = self(pf);
  if (realMethods(f).iVersion < 2 || !realMethods(f).xShmMap) return SQLITE_IOERR_SHMMAP;
  return realMethods(f).xShmMap(f->real, region, size, extend, out);
}
int xShmLock(sqlite3_file* pf, int offset, int n, int flags) {
  File* f = self(pf);
  if (realMethods(f).iVersion < 2 || !realMethods(f).xShmLock) return SQLITE_IOERR_SHMLOCK;
  return realMethods(f).xShmLock(f->real, offset, n, flags);
}
void xShmBarrier(sqlite3_file* pf) {
  File* f = self(pf);
  if (realMethods(f).iVersion >= 2 && realMethods(f).xShmBarrier) realMethods(f).xShmBarrier(f->real);
}
int xShmUnmap(sqlite3_file* pf, int deleteFlag) {
  File* f = self(pf);
  if (realMethods(f).iVersion < 2 || !realMethods(f).xShmUnmap) return SQLITE_OK;
  return realMethods(f).xShmUnmap(f->real, deleteFlag);
}

int xFetch(sqlite3_file* pf, sqlite3_int64 offset, int n, void** out) {
  File* f = self(pf);
  *out = nullptr;  // "no mapping": SQLite then reads
  if (realMethods(f).iVersion < 3 || !realMethods(f).xFetch) return SQLITE_OK;
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return realMethods(f).xFetch(f->real, offset, n, out);
}
int xUnfetch(sqlite3_file* pf, sqlite3_int64 offset, void* p) {
  File* f = self(pf);
  if (realMethods(f).iVersion < 3 || !realMethods(f).xUnfetch) return SQLITE_OK;
  return realMethods(f).xUnfetch(f->real, offset, p);
}

const sqlite3_io_methods kMethods = {
    3,
    xClose,
    xRead,
    xWrite,
    xTruncate,
    xSync,
    xFileSize,
    xLock,
    xUnlock,
    xCheckReservedLock,
    xFileControl,
    xSectorSize,
    xDeviceCharacteristics,
    xShmMap,
    xShmLock,
    xShmBarrier,
    xShmUnmap,
    xFetch,
    xUnfetch,
};

int xOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* pf, int flags, int* outFlags) {
  File* f = self(pf);
  f->file.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->pending = nullptr;
  f->pendingOffset = 0;
  f->flushAfterNextWrite = false;
  sqlite3_vfs* b = base();
  std::memset(f->real, 0, static_cast<size_t>(b->szOsFile));
  int rc = b->xOpen(b, name, f->real, flags, outFlags);
  if (rc != SQLITE_OK) {
    if (f->real->pMethods) f->real->pMethods->xClose(f->real);
    return rc;
  }
  if (flags & SQLITE_OPEN_WAL) {
    try {
      f->pending = new std::string;
      f->pending->reserve(1u << 20);
    } catch (...) {  // out of memory: this file writes through
      delete f->pending;
      f->pending = nullptr;
    }
  }
  f->file.pMethods = &kMethods;
  return SQLITE_OK;
}

// Everything else is the default VFS's, called with the default VFS.
int xDelete(sqlite3_vfs*, const char* name, int syncDir) { return base()->xDelete(base(), name, syncDir); }
int xAccess(sqlite3_vfs*, const char* name, int flags, int* out) { return base()->xAccess(base(), name, flags, out); }
int xFullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return base()->xFullPathname(base(), name, n, out);
}
void* xDlOpen(sqlite3_vfs*, const char* name) { return base()->xDlOpen(base(), name); }
void xDlError(sqlite3_vfs*, int n, char* out) { base()->xDlError(base(), n, out); }
void (*xDlSym(sqlite3_vfs*, void* h, const char* sym))(void) { return base()->xDlSym(base(), h, sym); }
void xDlClose(sqlite3_vfs*, void* h) { base()->xDlClose(base(), h); }
int xRandomness(sqlite3_vfs*, int n, char* out) { return base()->xRandomness(base(), n, out); }
int xSleep(sqlite3_vfs*, int us) { return base()->xSleep(base(), us); }
int xCurrentTime(sqlite3_vfs*, double* out) { return base()->xCurrentTime(base(), out); }
int xGetLastError(sqlite3_vfs*, int n, char* out) { return base()->xGetLastError(base(), n, out); }
int xCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) { return base()->xCurrentTimeInt64(base(), out); }

const char* registerVfs() {
  sqlite3_vfs* b = sqlite3_vfs_find(nullptr);  // initialises SQLite: sqlite3_config calls come first
  if (b == nullptr || b->iVersion < 2) return nullptr;
  original = b;
  innerFileSize = b->szOsFile;
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(sizeof(File)) + b->szOsFile;
  vfs.mxPathname = b->mxPathname;
  vfs.zName = kVfsName;
  vfs.xOpen = xOpen;
  vfs.xDelete = xDelete;
  vfs.xAccess = xAccess;
  vfs.xFullPathname = xFullPathname;
  vfs.xDlOpen = xDlOpen;
  vfs.xDlError = xDlError;
  vfs.xDlSym = xDlSym;
  vfs.xDlClose = xDlClose;
  vfs.xRandomness = xRandomness;
  vfs.xSleep = xSleep;
  vfs.xCurrentTime = xCurrentTime;
  vfs.xGetLastError = xGetLastError;
  vfs.xCurrentTimeInt64 = xCurrentTimeInt64;
  return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK ? kVfsName : nullptr;
}

}  // namespace

const char* walWriteCoalescingVfs() {
  static const char* name = registerVfs();
  return name;
}

WalWriteCounts walWriteCounts() {
  return {issuedWrites.load(std::memory_order_relaxed), underlyingWrites.load(std::memory_order_relaxed)};
}

}  // namespace codestats::host::db
