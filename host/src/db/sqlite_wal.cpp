#include "db/sqlite_wal.hpp"

#include "db/database.hpp"

#include <pthread.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace codestats::host::db {
namespace {

// After a failed fdatasync the kernel may have dropped the dirty pages, so whether the
// commit that was just reported durable survives a crash is unknown, and a retry would
// write it twice. Like PostgreSQL (data_sync_retry=off), stop the process: recovery then
// starts from what is on disk.
[[noreturn]] void durabilityLost(const std::string& what) {
  std::fprintf(stderr, "FATAL: %s: %s; stopping: a commit may not be durable\n", what.c_str(), std::strerror(errno));
  std::fflush(stderr);
  std::abort();
}

}  // namespace

SqliteWal::SqliteWal(std::string databasePath, bool syncCommits, std::chrono::milliseconds busyTimeout,
                     int checkpointFrames)
    : walPath_(databasePath + "-wal"), directory_(std::filesystem::path(databasePath).parent_path().string()),
      syncCommits_(syncCommits), busyTimeout_(busyTimeout), checkpointFrames_(checkpointFrames) {}

SqliteWal::~SqliteWal() { stop(); }

void SqliteWal::startCheckpointer(sqlite3* connection) {
  std::lock_guard lock(ckMu_);
  if (checkpointer_.joinable() || stopping_) return;
  ckConn_ = connection;
  checkpointer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "wal-checkpoint");
    checkpointLoop();
  });
  std::lock_guard w(writeMu_);
  checkpointerRunning_ = true;
}

void SqliteWal::stop() {
  {
    std::lock_guard lock(ckMu_);
    stopping_ = true;
  }
  ckWake_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  std::lock_guard w(writeMu_);
  checkpointerRunning_ = false;  // nobody would lift the limit any more
  walOverLimit_ = false;
  writeFree_.notify_all();
}

bool SqliteWal::overLimit() {
  std::lock_guard w(writeMu_);
  return walOverLimit_;
}

void SqliteWal::lockWrites() {
  std::unique_lock lock(writeMu_);
  ++writersWaiting_;
  // A waiting checkpointer goes first: writers that hand the lock to each other back to
  // back would starve it, and with it the WAL's restart. A WAL past its hard limit waits
  // for the checkpoint, as SQLite's own checkpoint in COMMIT would make it.
  const bool got =
      writeFree_.wait_for(lock, busyTimeout_, [&] { return !writeLocked_ && !checkpointWaiting_ && !walOverLimit_; });
  --writersWaiting_;
  if (!got) {
    throw DbError(DbError::Kind::Generic,
                  std::string(walOverLimit_ ? "database writes wait for a checkpoint of the WAL"
                                            : "database is locked by another transaction of this process") +
                      " (gave up after the busy timeout of " + std::to_string(busyTimeout_.count()) + " ms)");
  }
  writeLocked_ = true;
}

bool SqliteWal::lockWritesForCheckpoint() {
  std::unique_lock lock(writeMu_);
  checkpointWaiting_ = true;
  const bool got = writeFree_.wait_for(lock, busyTimeout_, [&] { return !writeLocked_; });
  checkpointWaiting_ = false;
  if (got) writeLocked_ = true;
  else if (writersWaiting_ > 0) writeFree_.notify_all();  // they waited for us
  return got;
}

void SqliteWal::unlockWrites() {
  std::lock_guard lock(writeMu_);
  writeLocked_ = false;
  if (writersWaiting_ > 0 || checkpointWaiting_) writeFree_.notify_all();
}

uint64_t SqliteWal::committed() {
  std::lock_guard lock(syncMu_);
  return ++committed_;
}

void SqliteWal::syncThrough(uint64_t position) {
  if (!syncCommits_) return;
  std::unique_lock lock(syncMu_);
  while (synced_ < position) {
    if (syncing_) {  // the running sync may not cover us: wait for it, then look again
      syncDone_.wait(lock);
      continue;
    }
    syncing_ = true;
    const uint64_t target = committed_;  // every commit counted so far is in the WAL already
    lock.unlock();
    syncWalFile();  // aborts the process on failure
    lock.lock();
    syncing_ = false;
    synced_ = target;
    ++syncs_;
    syncDone_.notify_all();
  }
}

// Only one thread at a time gets here (syncing_), so directorySynced_ needs no lock of its own.
void SqliteWal::syncWalFile() {
  int fd = ::open(walPath_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) durabilityLost("cannot open " + walPath_ + " to sync it");
  if (::fdatasync(fd) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    durabilityLost("fdatasync of " + walPath_ + " failed");
  }
  ::close(fd);
  if (!directorySynced_) {  // the WAL file's directory entry, once
    int d = ::open(directory_.empty() ? "." : directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0 || ::fsync(d) != 0) durabilityLost("fsync of directory " + directory_ + " failed");
    ::close(d);
    directorySynced_ = true;
  }
}

void SqliteWal::noteWalFrames(int frames) {
  if (frames >= kHardLimitFactor * checkpointFrames_) {
    std::lock_guard lock(writeMu_);
    walOverLimit_ = checkpointerRunning_;
  }
  std::lock_guard lock(ckMu_);
  if (frames < copiedThrough_) copiedThrough_ = 0;  // the WAL started over
  if (!ckRequested_ && frames - copiedThrough_ >= checkpointFrames_) {
    ckRequested_ = true;
    ckWake_.notify_one();
  }
}

void SqliteWal::checkpointPass(bool underWriteLock, int& logFrames, int& copiedFrames) {
  if (underWriteLock && !lockWritesForCheckpoint()) return;  // a long transaction: the next pass catches up
  // PASSIVE: copies what no reader still needs, never waits. It syncs the WAL before
  // copying and the database file after. Errors leave the frames for the next pass.
  int log = -1, copied = -1;
  int rc = sqlite3_wal_checkpoint_v2(ckConn_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (underWriteLock) unlockWrites();
  if (rc == SQLITE_OK && log >= 0 && copied >= 0) {
    logFrames = log;
    copiedFrames = copied;
  }
  std::lock_guard lock(ckMu_);
  ++checkpoints_;
  if (rc == SQLITE_OK && log == copied) ++walRestarts_;
}

void SqliteWal::checkpointLoop() {
  std::unique_lock lock(ckMu_);
  for (;;) {
    ckWake_.wait(lock, [&] { return ckRequested_ || stopping_; });
    if (stopping_) return;
    ckRequested_ = false;
    lock.unlock();
    // Passes without the write lock copy the bulk while transactions go on; each leaves the
    // frames committed meanwhile. Then one short pass under the write lock copies the rest:
    // SQLite starts the WAL over only when a write transaction begins with every frame
    // copied, which under steady writes never happens by chance (the WAL would grow
    // without bound; the transaction running while a pass ends adds its frames after it).
    int log = 0, copied = 0;
    if (!overLimit()) {
      checkpointPass(false, log, copied);
      for (int k = 0; k < 2 && log - copied > checkpointFrames_ / 8; ++k) checkpointPass(false, log, copied);
    }
    checkpointPass(true, log, copied);
    {
      std::lock_guard w(writeMu_);
      walOverLimit_ = false;
      writeFree_.notify_all();
    }
    lock.lock();
    copiedThrough_ = copied;
  }
}

SqliteWal::Stats SqliteWal::stats() const {
  Stats s;
  {
    std::lock_guard lock(syncMu_);
    s.syncs = syncs_;
  }
  std::lock_guard lock(ckMu_);
  s.checkpoints = checkpoints_;
  s.walRestarts = walRestarts_;
  return s;
}

}  // namespace codestats::host::db
