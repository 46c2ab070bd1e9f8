// Reads a chunked request body with the strict ChunkedDecoder from the connection's
// session, never past the body's last byte (what follows is the next request).
#pragma once

#include <cstdint>
#include <string>

namespace codestats::host {

class ServerSession;

enum class BodyRead {
  Complete,
  TooLarge,    // a chunk would take the body over the limit (refused before it is read)
  Incomplete,  // the stream ended before the last chunk and the trailer section
  Invalid,     // a malformed chunk-size line, extension, chunk end or trailer
};

BodyRead readChunkedBody(ServerSession& session, int64_t limit, std::string& out);

}  // namespace codestats::host
