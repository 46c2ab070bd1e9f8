#include "http/chunked_decoder.hpp"

#include <string_view>

#include "http/http_syntax.hpp"

namespace codestats::host {
namespace {

// Bounds that no honest client comes near: a chunk-size line with its extensions, the
// trailer section, and a chunk size (larger ones overflow or exceed any body limit anyway).
constexpr size_t kMaxLine = 4096;
constexpr size_t kMaxTrailer = 16384;
constexpr uint64_t kMaxChunk = uint64_t{1} << 60;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void skipBws(std::string_view& s) {
  while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
}

std::string_view takeToken(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && isTokenChar(s[n])) ++n;
  const std::string_view token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
bool takeQuoted(std::string_view& s) {
  if (s.empty() || s.front() != '"') return false;
  for (size_t i = 1; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      s.remove_prefix(i + 1);
      return true;
    }
    if (c == '\\') {
      if (++i == s.size()) return false;
      const unsigned char q = static_cast<unsigned char>(s[i]);
      if ((q < 32 && q != '\t') || q == 127) return false;
    } else if ((c < 32 && c != '\t') || c == 127) {
      return false;
    }
  }
  return false;
}

// chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
bool validExtensions(std::string_view s) {
  for (;;) {
    if (s.empty()) return true;
    skipBws(s);  // (white space only before a ";": "5 " alone is not a chunk-size line)
    if (s.empty() || s.front() != ';') return false;
    s.remove_prefix(1);
    skipBws(s);
    if (takeToken(s).empty()) return false;
    skipBws(s);
    if (!s.empty() && s.front() == '=') {
      s.remove_prefix(1);
      skipBws(s);
      if (!s.empty() && s.front() == '"') {
        if (!takeQuoted(s)) return false;
      } else if (takeToken(s).empty()) {
        return false;
      }
    }
  }
}

}  // namespace

void ChunkedDecoder::dataRead(uint64_t n) {
  if (state_ != State::Data || n > dataLeft_) {
    state_ = State::Invalid;
    return;
  }
  dataLeft_ -= n;
  if (dataLeft_ == 0) {
    state_ = State::Framing;
    expect_ = Expect::DataEnd;
  }
}

void ChunkedDecoder::feed(char c) {
  if (state_ != State::Framing) {
    state_ = State::Invalid;
    return;
  }
  if (sawCr_) {
    sawCr_ = false;
    if (c != '\n') {
      state_ = State::Invalid;
      return;
    }
    lineComplete();
    return;
  }
  if (c == '\r') {
    sawCr_ = true;
    return;
  }
  // A bare LF, any other control byte, or a line too long.
  if (c == '\n' || line_.size() >= kMaxLine || ((static_cast<unsigned char>(c) < 32 && c != '\t') || c == 127)) {
    state_ = State::Invalid;
    return;
  }
  line_ += c;
}

void ChunkedDecoder::lineComplete() {
  std::string line;
  line.swap(line_);
  switch (expect_) {
    case Expect::SizeLine:
      if (!sizeLine(line)) state_ = State::Invalid;
      return;
    case Expect::DataEnd:  // exactly CRLF after a chunk's data
      if (!line.empty()) state_ = State::Invalid;
      else expect_ = Expect::SizeLine;
      return;
    case Expect::Trailer:
      if (line.empty()) {
        state_ = State::Done;
        return;
      }
      trailerBytes_ += line.size() + 2;
      if (trailerBytes_ > kMaxTrailer || !trailerLine(line)) state_ = State::Invalid;
      return;
  }
}

// chunk-size [ chunk-ext ]: 1*HEXDIG, then extensions (RFC 9112 section 7.1.1).
bool ChunkedDecoder::sizeLine(const std::string& line) {
  std::string_view s = line;
  uint64_t size = 0;
  size_t digits = 0;
  while (digits < s.size() && hexValue(s[digits]) >= 0) {
    if (size > kMaxChunk / 16) return false;  // before it could overflow
    size = size * 16 + static_cast<uint64_t>(hexValue(s[digits]));
    ++digits;
  }
  if (digits == 0 || !validExtensions(s.substr(digits))) return false;
  if (size == 0) {
    expect_ = Expect::Trailer;
  } else {
    state_ = State::Data;
    dataLeft_ = size;
  }
  return true;
}

// A trailer field line: token ":" OWS value OWS, no folding (RFC 9112 section 7.1.2).
bool ChunkedDecoder::trailerLine(const std::string& line) {
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return false;
  const std::string_view view = line;
  return isToken(view.substr(0, colon)) && isFieldValue(view.substr(colon + 1));
}

}  // namespace codestats::host
