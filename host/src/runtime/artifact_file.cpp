#include "runtime/artifact_file.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/module_loader.hpp"

namespace codestats::host {
namespace {

const char* kindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Reads the whole file from offset 0 into `sink`, without moving a shared file position.
template <typename Sink>
void readAll(int fd, const std::string& path, Sink&& sink) {
  char buf[1 << 16];
  off_t at = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw LoadError("cannot read artifact " + path + ": " + std::strerror(errno));
    if (n == 0) return;
    sink(buf, static_cast<size_t>(n));
    at += n;
  }
}

}  // namespace

ArtifactFile::ArtifactFile(const std::string& path) : path_(path) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; it is refused below.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd_ < 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) throw LoadError("artifact not found: " + path);
    throw LoadError("cannot open artifact " + path + ": " + std::strerror(e));
  }
  std::string problem;
  if (::fstat(fd_, &st_) != 0) problem = "cannot stat artifact " + path + ": " + std::strerror(errno);
  else if (!S_ISREG(st_.st_mode))
    problem = "artifact " + path + " is " + kindOf(st_.st_mode) + "; an artifact must be a regular file (.so)";
  if (!problem.empty()) {
    ::close(fd_);
    fd_ = -1;
    throw LoadError(problem);
  }
}

ArtifactFile::~ArtifactFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string ArtifactFile::identity() const {
  return std::to_string(st_.st_dev) + ":" + std::to_string(st_.st_ino) + ":" + std::to_string(st_.st_size) + ":" +
         std::to_string(st_.st_mtim.tv_sec) + "." + std::to_string(st_.st_mtim.tv_nsec);
}

std::string ArtifactFile::sha256() const {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  readAll(fd_, path_, [&](const char* p, size_t n) { sha.update(p, static_cast<unsigned>(n)); });
  return Poco::DigestEngine::digestToHex(sha.digest());
}

void ArtifactFile::copyTo(const std::string& dest) const {
  ::unlink(dest.c_str());  // a fresh inode: never write into a file something may have mapped
  int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0700);
  if (out < 0) throw LoadError("cannot create " + dest + ": " + std::strerror(errno));
  try {
    readAll(fd_, path_, [&](const char* p, size_t n) {
      while (n > 0) {
        ssize_t w = ::write(out, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw LoadError("cannot write " + dest + ": " + std::strerror(errno));
        p += w;
        n -= static_cast<size_t>(w);
      }
    });
  } catch (...) {
    ::close(out);
    ::unlink(dest.c_str());
    throw;
  }
  if (::close(out) != 0) {
    ::unlink(dest.c_str());
    throw LoadError("cannot write " + dest + ": " + std::strerror(errno));
  }
}

}  // namespace codestats::host
