// A strict decoder of the chunked transfer coding of request bodies (RFC 9112 section 7.1),
// pure logic, no I/O: the caller feeds the framing bytes one at a time and reads the chunk
// data in bulk. Poco's decoder takes a bad chunk-size line ("zz", "-1", 20 hex digits) for
// the end of the body and leaves the rest of the bytes to be read as the next request, and
// does not check the CRLF after each chunk's data; this one refuses all of these, so a body
// ends exactly where every strict parser in front of us sees it end.
#pragma once

#include <cstdint>
#include <string>

namespace codestats::host {

class ChunkedDecoder {
 public:
  enum class State { Framing, Data, Done, Invalid };

  State state() const { return state_; }
  // In Data: how many bytes of chunk data come next.
  uint64_t dataLeft() const { return dataLeft_; }
  // In Data: n (<= dataLeft()) bytes of chunk data were read.
  void dataRead(uint64_t n);
  // In Framing: the next byte of a chunk-size line, a chunk's closing CRLF or the trailer
  // section.
  void feed(char c);

 private:
  void lineComplete();
  bool sizeLine(const std::string& line);
  static bool trailerLine(const std::string& line);

  enum class Expect { SizeLine, DataEnd, Trailer };
  State state_ = State::Framing;
  Expect expect_ = Expect::SizeLine;
  std::string line_;    // the current framing line, without its CRLF
  bool sawCr_ = false;  // the line's CR came; only LF may follow
  uint64_t dataLeft_ = 0;
  size_t trailerBytes_ = 0;
};

}  // namespace codestats::host
