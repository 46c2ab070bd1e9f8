// A module artifact opened once for everything the loader does with it (identity, hash,
// the copy into var/run), so the file that was checked is the file that is copied.
//
// Only a regular file is an artifact. A symlink counts as the file it points to (a deploy
// may point modules.web.artifact at web-current.so); directories, FIFOs, sockets and
// devices are refused with a LoadError naming what the path is. A FIFO used to hang the
// hash (and with it SIGHUP reconciliation or the start) until something wrote into it.
#pragma once

#include <sys/stat.h>

#include <string>

namespace codestats::host {

class ArtifactFile {
 public:
  explicit ArtifactFile(const std::string& path);  // throws LoadError
  ~ArtifactFile();
  ArtifactFile(const ArtifactFile&) = delete;
  ArtifactFile& operator=(const ArtifactFile&) = delete;

  // inode, size and mtime: a changed file has another identity (the hash cache's key)
  std::string identity() const;
  std::string sha256() const;
  // Writes the content to `dest` (created 0700, replaced if it exists).
  void copyTo(const std::string& dest) const;

 private:
  std::string path_;
  int fd_ = -1;
  struct stat st_ {};
};

}  // namespace codestats::host
