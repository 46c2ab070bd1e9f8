// Poco's HTTP server session with the byte-level reads the host's strict parsers need:
// Poco keeps them protected for its own body streams. runHttpConnection creates every
// session of the public port as one of these.
#pragma once

#include <Poco/Net/HTTPServerSession.h>

#include <ios>

namespace codestats::host {

class ServerSession final : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  // Bytes the session read from the socket and has not handed out yet.
  int unread() const { return buffered(); }
  // The next byte of the request, or std::char_traits<char>::eof() at the end of the stream.
  int nextByte() { return get(); }
  // Up to n bytes (fewer when fewer are there); 0 at the end of the stream.
  int readSome(char* buffer, std::streamsize n) { return read(buffer, n); }
};

}  // namespace codestats::host
