// What the connections of one SQLite pool share about their database's write-ahead log:
// the in-process write lock, durability (one fdatasync covers every commit before it),
// and checkpoints on a host thread of their own.
//
// Why (bench/README.md, ingest "Round 4"): a checkpoint that runs inside a commit makes the
// requests of that batch wait for 1,000 pages to be copied and the database file synced
// (~30% of the SQLite ingest throughput), and each connection used to sync the WAL itself
// even when another connection's sync had just covered its commit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace codestats::host::db {

class SqliteWal {
 public:
  // `syncCommits`: synchronous=FULL, kept by syncing the WAL before a commit is reported
  // (the connections run SQLite's NORMAL). `checkpointFrames`: the WAL length that starts a
  // background checkpoint (DbConfig::sqliteCheckpointFrames).
  SqliteWal(std::string databasePath, bool syncCommits, std::chrono::milliseconds busyTimeout, int checkpointFrames);
  ~SqliteWal();  // stops the checkpointer; call before the last connection closes
  SqliteWal(const SqliteWal&) = delete;
  SqliteWal& operator=(const SqliteWal&) = delete;

  // Starts the checkpointer on its own connection to the database (opened by the caller,
  // which must outlive stop()). Until then, and after stop(), checkpoints do not run.
  void startCheckpointer(sqlite3* connection);
  void stop();

  // One writer at a time in this process: a waiter is woken when the lock is free instead
  // of polling in SQLite's busy handler. Throws DbError after the busy timeout.
  void lockWrites();
  void unlockWrites();

  bool syncsCommits() const { return syncCommits_; }
  // Called once a commit's frames are in the WAL (after COMMIT returned): its position in
  // the commit order, for syncThrough().
  uint64_t committed();
  // Returns once every commit up to `position` is on disk: at most one fdatasync runs at a
  // time and covers every commit made before it started. A failed fdatasync aborts the
  // process (docs/decisions.md). No-op unless syncsCommits().
  void syncThrough(uint64_t position);

  // The WAL hook of every connection reports the WAL's length after each commit here.
  void noteWalFrames(int frames);

  struct Stats {
    uint64_t syncs = 0;        // fdatasync calls
    uint64_t checkpoints = 0;  // checkpoint passes
    uint64_t walRestarts = 0;  // passes after which the WAL was fully copied back
  };
  Stats stats() const;

 private:
  bool lockWritesForCheckpoint();  // false after the busy timeout
  bool overLimit();
  void checkpointLoop();
  void checkpointPass(bool underWriteLock, int& logFrames, int& copiedFrames);
  void syncWalFile();

  const std::string walPath_;
  const std::string directory_;
  const bool syncCommits_;
  const std::chrono::milliseconds busyTimeout_;
  const int checkpointFrames_;

  std::mutex writeMu_;
  std::condition_variable writeFree_;
  bool writeLocked_ = false;
  bool checkpointWaiting_ = false;
  int writersWaiting_ = 0;
  bool checkpointerRunning_ = false;
  bool walOverLimit_ = false;  // the WAL reached kHardLimitFactor x checkpointFrames_: writers wait
  static constexpr int kHardLimitFactor = 4;

  mutable std::mutex syncMu_;
  std::condition_variable syncDone_;
  uint64_t committed_ = 0;  // commits so far (guarded by syncMu_)
  uint64_t synced_ = 0;     // commits known durable
  bool syncing_ = false;
  bool directorySynced_ = false;
  uint64_t syncs_ = 0;

  mutable std::mutex ckMu_;
  std::condition_variable ckWake_;
  bool ckRequested_ = false;
  bool stopping_ = false;
  int copiedThrough_ = 0;  // WAL frames the last pass had copied back
  uint64_t checkpoints_ = 0, walRestarts_ = 0;
  sqlite3* ckConn_ = nullptr;
  std::thread checkpointer_;
};

}  // namespace codestats::host::db
