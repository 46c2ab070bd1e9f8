// libFuzzer target: the public port's strict request reader (RequestHead) and chunked
// decoder (ChunkedDecoder) on arbitrary bytes. Seeds: fuzz/corpus/http_framing/, the raw
// requests of the differential framing test (tests/e2e/framing). Checks the invariants the
// servers rely on: a parsed head never claims more bytes than it was given, a Malformed head
// always has a reason, and the decoder never reads past its input or hands out more data
// than a chunk announced.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/chunked_decoder.hpp"
#include "http/request_head.hpp"

using namespace codestats::host;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void decodeChunked(std::string_view body) {
  ChunkedDecoder d;
  size_t i = 0;
  while (i < body.size()) {
    if (d.state() == ChunkedDecoder::State::Framing) {
      d.feed(body[i++]);
    } else if (d.state() == ChunkedDecoder::State::Data) {
      const uint64_t left = d.dataLeft();
      check(left > 0);
      const size_t n = static_cast<size_t>(std::min<uint64_t>(left, body.size() - i));
      i += n;
      d.dataRead(n);
    } else {
      break;
    }
  }
  check(i <= body.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t limit : {kMaxFastHead, size_t{64}, SIZE_MAX}) {
    RequestHead head;
    const HeadStatus status = parseRequestHead(input, head, limit);
    if (status == HeadStatus::Malformed) check(head.error != nullptr);
    if (status == HeadStatus::Complete || status == HeadStatus::HandOff) {
      check(head.headLength <= input.size());
      check(head.contentLength >= 0);
      if (head.chunked) {
        check(head.contentLength == 0);
        if (head.headLength > 0) decodeChunked(input.substr(head.headLength));
      }
    }
    if (status == HeadStatus::Complete) check(!head.method.empty() && head.target.front() == '/');
  }
  decodeChunked(input);
  return 0;
}
