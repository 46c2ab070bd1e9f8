#include "import_progress.hpp"

#include <unistd.h>

#include <algorithm>

namespace codestats::host::ctl {

ImportProgress::ImportProgress(std::string table, int64_t total, std::FILE* out)
    : table_(std::move(table)), total_(total), out_(out), tty_(isatty(fileno(out)) != 0) {
  start_ = lastDraw_ = std::chrono::steady_clock::now();
}

void ImportProgress::advance(int64_t rows) {
  done_ += rows;
  auto now = std::chrono::steady_clock::now();
  // A terminal shows the bar at once and redraws it 5 times a second; a log gets a line
  // every 5 s.
  if ((tty_ && !drawn_) ||
      now - lastDraw_ >= (tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000))) {
    drawn_ = true;
    lastDraw_ = now;
    draw(false);
  }
}

double ImportProgress::finish() {
  draw(true);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ImportProgress::draw(bool last) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = secs > 0 ? static_cast<double>(done_) / secs : 0;
  double fraction = total_ > 0 ? std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_)) : 1.0;
  long eta = rate > 0 ? static_cast<long>(static_cast<double>(std::max<int64_t>(0, total_ - done_)) / rate) : 0;
  char etaText[32];
  if (rate > 0 || done_ >= total_) std::snprintf(etaText, sizeof etaText, "%ld:%02ld", eta / 60, eta % 60);
  else std::snprintf(etaText, sizeof etaText, "--:--");  // nothing done yet: no rate to go by
  if (tty_) {
    constexpr int kWidth = 30;
    int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(out_, "\r%-10s [%s] %3d%% %lld/%lld  %.0f rows/s  %s %s\x1b[K", table_.c_str(), bar.c_str(),
                 static_cast<int>(fraction * 100), static_cast<long long>(done_), static_cast<long long>(total_), rate,
                 last ? "in" : "ETA", last ? (std::to_string(static_cast<long>(secs)) + " s").c_str() : etaText);
    if (last) std::fputc('\n', out_);
  } else {
    std::fprintf(out_, "%s: %lld/%lld (%d%%), %.0f rows/s, %s %s\n", table_.c_str(), static_cast<long long>(done_),
                 static_cast<long long>(total_), static_cast<int>(fraction * 100), rate, last ? "took" : "ETA",
                 last ? (std::to_string(static_cast<long>(secs)) + " s").c_str() : etaText);
  }
  std::fflush(out_);
}

}  // namespace codestats::host::ctl
