#include "http/request_body.hpp"

#include <algorithm>
#include <string>

#include "http/chunked_decoder.hpp"
#include "http/server_session.hpp"

namespace codestats::host {

BodyRead readChunkedBody(ServerSession& session, int64_t limit, std::string& out) {
  constexpr int kEof = std::char_traits<char>::eof();
  ChunkedDecoder decoder;
  for (;;) {
    switch (decoder.state()) {
      case ChunkedDecoder::State::Done: return BodyRead::Complete;
      case ChunkedDecoder::State::Invalid: return BodyRead::Invalid;
      case ChunkedDecoder::State::Framing: {
        const int c = session.nextByte();
        if (c == kEof) return BodyRead::Incomplete;
        decoder.feed(static_cast<char>(c));
        break;
      }
      case ChunkedDecoder::State::Data: {
        if (decoder.dataLeft() > static_cast<uint64_t>(limit) - out.size()) return BodyRead::TooLarge;
        const size_t n = static_cast<size_t>(std::min<uint64_t>(decoder.dataLeft(), 16384));
        const size_t old = out.size();
        out.resize(old + n);
        const int got = session.readSome(out.data() + old, static_cast<std::streamsize>(n));
        out.resize(old + static_cast<size_t>(std::max(got, 0)));
        if (got <= 0) return BodyRead::Incomplete;
        decoder.dataRead(static_cast<uint64_t>(got));
        break;
      }
    }
  }
}

}  // namespace codestats::host
