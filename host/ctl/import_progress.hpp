// Progress of one table of an import: a bar with rows/s and ETA redrawn in place on a
// terminal, a plain line every few seconds otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace codestats::host::ctl {

class ImportProgress {
 public:
  ImportProgress(std::string table, int64_t total, std::FILE* out);
  void advance(int64_t rows);
  // Ends the bar with the table's final figure; returns the seconds taken.
  double finish();

 private:
  void draw(bool last);

  std::string table_;
  int64_t total_, done_ = 0;
  std::FILE* out_;
  bool tty_, drawn_ = false;
  std::chrono::steady_clock::time_point start_, lastDraw_;
};

}  // namespace codestats::host::ctl
