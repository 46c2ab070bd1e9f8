// The CSV dialect of the original's exports (spec §7.8): ';' separator, '\n' after every
// row, cells with ; \n \r or " quoted with inner quotes doubled.
// Pure logic: no SDK, unit-tested in tests/csv_test.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace codestats::web {

std::string csvCell(std::string_view s);
std::string csvRow(const std::vector<std::string>& cells);  // ends with '\n'

// Unix milliseconds as "YYYY-MM-DD HH:MM:SSZ" (UTC) and as "YYYY-MM-DD HH:MM:SS" (the
// local wall-clock digits, stored as milliseconds of the same digits).
std::string formatUtc(int64_t ms);
std::string formatLocal(int64_t ms);

}  // namespace codestats::web
