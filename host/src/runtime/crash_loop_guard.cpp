#include "runtime/crash_loop_guard.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace codestats::host {

namespace fs = std::filesystem;

namespace {

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Poco::JSON::Object::Ptr readRecord(const std::string& path) {
  std::ifstream in(path);
  if (!in) return new Poco::JSON::Object;
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    auto obj = Poco::JSON::Parser().parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
    if (obj) return obj;
  } catch (const std::exception& e) {
    spdlog::error("[host] crash guard: ignoring unreadable {}: {}", path, e.what());
  }
  return new Poco::JSON::Object;
}

void fsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Durable before it returns: the record must survive the crash it is there for.
void writeRecord(const std::string& path, const Poco::JSON::Object::Ptr& rec) {
  std::ostringstream out;
  rec->stringify(out, 2);
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out.str() << "\n";
    if (!f) throw std::runtime_error("cannot write " + tmp);
  }
  fsyncPath(tmp, O_RDONLY);
  fs::rename(tmp, path);
  fsyncPath(fs::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

std::string shortSha(const std::string& sha) { return sha.substr(0, 12); }

}  // namespace

CrashLoopGuard::CrashLoopGuard(std::string stateDir, std::chrono::milliseconds window)
    : dir_(std::move(stateDir)), window_(window) {
  if (enabled()) fs::create_directories(fs::path(dir_) / "known-good");
}

std::string CrashLoopGuard::recordPath(const std::string& module) const {
  return (fs::path(dir_) / (module + ".json")).string();
}

CrashLoopGuard::StartupChoice CrashLoopGuard::startupChoice(const std::string& module,
                                                            const std::string& configuredSha) {
  StartupChoice choice;
  if (!enabled()) return choice;
  std::lock_guard lock(mu_);
  std::string path = recordPath(module);
  if (!fs::exists(path)) return choice;
  auto rec = readRecord(path);
  auto bad = rec->getArray("bad");
  if (!bad) bad = new Poco::JSON::Array;
  auto isBad = [&](const std::string& sha) {
    for (size_t i = 0; i < bad->size(); ++i)
      if (bad->getElement<std::string>(static_cast<unsigned>(i)) == sha) return true;
    return false;
  };
  auto good = rec->getObject("known_good");
  std::string goodFile = good ? good->optValue<std::string>("file", "") : "";
  bool haveGood = good && !goodFile.empty() && fs::exists(goodFile);
  std::string goodText = haveGood ? module + " " + good->optValue<std::string>("version", "?") + " (sha256 " +
                                        shortSha(good->optValue<std::string>("sha256", "")) + ")"
                                  : "";

  std::string why;
  if (auto pending = rec->getObject("pending")) {
    std::string sha = pending->optValue<std::string>("sha256", "");
    int64_t at = pending->optValue<int64_t>("activated_at_ms", 0);
    why = "codestatsd stopped unexpectedly within " + std::to_string(window_.count()) + " ms of activating " + module +
          " " + pending->optValue<std::string>("version", "?") + " (sha256 " + shortSha(sha) + ", activated " +
          std::to_string((wallMs() - at) / 1000) + " s ago)";
    if (!sha.empty() && !isBad(sha)) bad->add(sha);
    rec->remove("pending");
    rec->set("bad", bad);
    rec->set("last_crash_reason", why);
    writeRecord(path, rec);
    if (!haveGood || good->optValue<std::string>("sha256", "") == sha) {
      choice.reason = why + "; no earlier known-good version to fall back to, loading the configured artifact";
      return choice;
    }
  } else if (!configuredSha.empty() && isBad(configuredSha) && haveGood &&
             good->optValue<std::string>("sha256", "") != configuredSha) {
    why = "the configured artifact (sha256 " + shortSha(configuredSha) + ") crashed codestatsd before";
  } else {
    return choice;
  }
  if (!configuredSha.empty() && configuredSha == good->optValue<std::string>("sha256", "")) {
    choice.reason = why + "; the configured artifact is the known-good version " + goodText;
    return choice;
  }
  choice.artifact = goodFile;
  choice.reason = why + "; loading the last known-good version " + goodText +
                  " instead. Deploy a fixed artifact, or reload this one explicitly to try it again";
  return choice;
}

void CrashLoopGuard::activating(const std::string& module, const std::string& version, const std::string& sha256,
                                const std::string& runPath) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  std::string path = recordPath(module);
  auto rec = readRecord(path);
  auto good = rec->getObject("known_good");
  if (good && good->optValue<std::string>("sha256", "") == sha256) {
    pending_.erase(module);
    if (rec->has("pending")) {
      rec->remove("pending");
      writeRecord(path, rec);
    }
    return;
  }
  Poco::JSON::Object::Ptr p = new Poco::JSON::Object;
  p->set("version", version);
  p->set("sha256", sha256);
  p->set("activated_at_ms", wallMs());
  rec->set("pending", p);
  writeRecord(path, rec);
  pending_[module] = Pending{version, sha256, runPath, std::chrono::steady_clock::now() + window_};
}

void CrashLoopGuard::promoteDue() {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    const auto& [module, p] = *it;
    if (now < p.due) {
      ++it;
      continue;
    }
    std::string path = recordPath(module);
    auto rec = readRecord(path);
    rec->remove("pending");
    std::error_code ec;
    std::string file = (fs::path(dir_) / "known-good" / (module + "-" + shortSha(p.sha256) + ".so")).string();
    if (fs::exists(p.runPath, ec)) {
      fs::copy_file(p.runPath, file + ".tmp", fs::copy_options::overwrite_existing, ec);
      if (!ec) {
        fsyncPath(file + ".tmp", O_RDONLY);
        fs::rename(file + ".tmp", file, ec);
      }
      if (!ec) {
        auto old = rec->getObject("known_good");
        std::string oldFile = old ? old->optValue<std::string>("file", "") : "";
        Poco::JSON::Object::Ptr g = new Poco::JSON::Object;
        g->set("version", p.version);
        g->set("sha256", p.sha256);
        g->set("file", file);
        rec->set("known_good", g);
        if (auto bad = rec->getArray("bad")) {
          Poco::JSON::Array::Ptr keep = new Poco::JSON::Array;
          for (size_t i = 0; i < bad->size(); ++i)
            if (bad->getElement<std::string>(static_cast<unsigned>(i)) != p.sha256)
              keep->add(bad->get(static_cast<unsigned>(i)));
          rec->set("bad", keep);
        }
        if (!oldFile.empty() && oldFile != file) fs::remove(oldFile, ec);
        spdlog::info("[host] crash guard: {} {} (sha256 {}) ran {} ms without a crash: now the known-good version",
                     module, p.version, shortSha(p.sha256), window_.count());
      } else {
        spdlog::warn("[host] crash guard: cannot keep a copy of {} {}: {}", module, p.version, ec.message());
      }
    }
    try {
      writeRecord(path, rec);
    } catch (const std::exception& e) {
      spdlog::warn("[host] crash guard: {}", e.what());
    }
    it = pending_.erase(it);
  }
}

void CrashLoopGuard::cleanShutdown() {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  for (const auto& [module, p] : pending_) {
    std::string path = recordPath(module);
    auto rec = readRecord(path);
    rec->remove("pending");
    try {
      writeRecord(path, rec);
    } catch (const std::exception& e) {
      spdlog::warn("[host] crash guard: {}", e.what());
    }
  }
  pending_.clear();
}

}  // namespace codestats::host
