// Tests for host/src/http/chunked_decoder: the strict chunked transfer coding (RFC 9112 7.1).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "http/chunked_decoder.hpp"

using namespace codestats::host;

namespace {

struct Decoded {
  ChunkedDecoder::State state;
  std::string body;
  size_t consumed = 0;  // bytes of the input used (the rest belongs to the next request)
};

// Feeds `input` as a connection would deliver it, `step` bytes of data at a time.
Decoded decode(const std::string& input, size_t step = 1 << 20) {
  ChunkedDecoder d;
  Decoded out;
  size_t i = 0;
  while (i < input.size()) {
    if (d.state() == ChunkedDecoder::State::Framing) {
      d.feed(input[i++]);
    } else if (d.state() == ChunkedDecoder::State::Data) {
      const size_t n = std::min<size_t>({static_cast<size_t>(d.dataLeft()), step, input.size() - i});
      out.body.append(input, i, n);
      i += n;
      d.dataRead(n);
    } else {
      break;
    }
  }
  out.state = d.state();
  out.consumed = i;
  return out;
}

}  // namespace

TEST_CASE("chunked: valid bodies decode exactly and stop at their end", "[chunked]") {
  const std::pair<std::string, std::string> cases[] = {
      {"5\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
      {"0\r\n\r\n", ""},
      {"000\r\n\r\n", ""},
      {"A\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
      {"a\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
      {"00000000000000000005\r\nhello\r\n0\r\n\r\n", "hello"},  // leading zeros are digits, not size
      {"5;ext\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;a=b;c=\"q \\\" d\"\r\nhello\r\n0;last\r\n\r\n", "hello"},
      {"5 ; a = b\r\nhello\r\n0\r\n\r\n", "hello"},  // BWS around the extension
      {"5\r\nhello\r\n0\r\nX-Trailer: yes\r\nY: \r\n\r\n", "hello"},
  };
  for (const auto& [input, body] : cases) {
    INFO(input);
    for (size_t step : {size_t{1}, size_t{3}, size_t{1} << 20}) {
      const Decoded d = decode(input + "GET / HTTP/1.1\r\n", step);
      CHECK(d.state == ChunkedDecoder::State::Done);
      CHECK(d.body == body);
      CHECK(d.consumed == input.size());  // the next request is left alone
    }
  }
}

TEST_CASE("chunked: malformed framing is refused, never taken for the end of the body", "[chunked]") {
  const char* cases[] = {
      "zz\r\nhello\r\n0\r\n\r\n",                    // not hex
      "-1\r\nhello\r\n0\r\n\r\n",                    // a sign
      "0x5\r\nhello\r\n0\r\n\r\n",                   // a prefix
      "\r\nhello\r\n0\r\n\r\n",                      // no size
      "fffffffffffffffffffff\r\nx\r\n0\r\n\r\n",     // 21 hex digits: overflow
      "10000000000000001\r\nx\r\n",                  // over 2^60
      "5\nhello\r\n0\r\n\r\n",                       // bare LF after the size
      "5\rhello\r\n0\r\n\r\n",                       // bare CR
      "5 \r\nhello\r\n0\r\n\r\n",                    // white space without an extension
      "5;\r\nhello\r\n0\r\n\r\n",                    // an extension without a name
      "5;a=\r\nhello\r\n0\r\n\r\n",                  // ... without a value after "="
      "5;a=\"open\r\nhello\r\n0\r\n\r\n",            // an unterminated quoted string
      "5;a b\r\nhello\r\n0\r\n\r\n",                 // two tokens
      "5\r\nhelloXX0\r\n\r\n",                       // no CRLF after the data
      "5\r\nhello\n0\r\n\r\n",                       // a bare LF after the data
      "5\r\nhello\r\n0\r\nNoColon\r\n\r\n",          // a trailer without a colon
      "5\r\nhello\r\n0\r\nX: 1\r\n folded\r\n\r\n",  // a folded trailer
      "5\r\nhello\r\n0\r\nBad Name: 1\r\n\r\n",      // white space in a trailer name
      "5\r\nhello\r\n0\r\n\n",                       // a bare LF ends the trailers
  };
  for (const char* input : cases) {
    INFO(input);
    CHECK(decode(input).state == ChunkedDecoder::State::Invalid);
    CHECK(decode(input, 1).state == ChunkedDecoder::State::Invalid);
  }
  // A line longer than any honest one, and a trailer section too large.
  CHECK(decode("5;" + std::string(5000, 'a') + "\r\n").state == ChunkedDecoder::State::Invalid);
  std::string trailers = "0\r\n";
  for (int i = 0; i < 200; ++i) trailers += "X-" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
  CHECK(decode(trailers + "\r\n").state == ChunkedDecoder::State::Invalid);
}

TEST_CASE("chunked: a body cut short is neither complete nor invalid", "[chunked]") {
  const std::string whole = "5\r\nhello\r\n0\r\nX: 1\r\n\r\n";
  for (size_t n = 0; n < whole.size(); ++n) {
    INFO(n);
    const Decoded d = decode(whole.substr(0, n));
    CHECK(d.state != ChunkedDecoder::State::Done);
    CHECK(d.state != ChunkedDecoder::State::Invalid);
  }
}
