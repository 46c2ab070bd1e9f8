#include "gravatar_client.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/MD5Engine.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "gravatar.hpp"

namespace codestats::web {
namespace {

using Clock = std::chrono::steady_clock;

Avatar failure(std::string why) { return Avatar{false, {}, {}, {}, std::move(why)}; }

}  // namespace

GravatarClient::GravatarClient(const std::string& base, std::chrono::milliseconds timeout) : timeout_(timeout) {
  try {
    base_ = Poco::URI(base);
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument(e.displayText());
  }
  if ((base_.getScheme() != "http" && base_.getScheme() != "https") || base_.getHost().empty() ||
      !base_.getRawQuery().empty())
    throw std::invalid_argument("expected http(s)://host[:port][/path], got '" + base + "'");
  basePath_ = base_.getPath();
  while (!basePath_.empty() && basePath_.back() == '/') basePath_.pop_back();
}

Avatar GravatarClient::fetch(const std::string& hash) const {
  const auto deadline = Clock::now() + timeout_;
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (base_.getScheme() == "https") {
      // Verified against the system CA store, host name included; nothing is installed
      // into Poco's process-wide SSLManager.
      Poco::Net::Context::Ptr tls =
          new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_STRICT, 9, true);
      session = std::make_unique<Poco::Net::HTTPSClientSession>(base_.getHost(), base_.getPort(), tls);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(base_.getHost(), base_.getPort());
    }
    session->setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout_).count()));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, basePath_ + gravatarPath(hash),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Accept", "image/*");
    session->sendRequest(req);
    // Every later wait gets only what is left of the deadline, so it bounds the whole fetch.
    auto remaining = [&] {
      return std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
    };
    if (remaining() <= 0) return failure("upstream too slow (deadline " + std::to_string(timeout_.count()) + " ms)");
    session->socket().setReceiveTimeout(Poco::Timespan(remaining()));
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
      return failure("upstream answered " + std::to_string(static_cast<int>(resp.getStatus())));
    std::string type = resp.getContentType();
    if (type.rfind("image/", 0) != 0) return failure("upstream content type '" + type + "' is not an image");
    if (resp.hasContentLength() && resp.getContentLength64() > static_cast<Poco::Int64>(kMaxImageBytes))
      return failure("upstream image larger than " + std::to_string(kMaxImageBytes) + " bytes");

    // An upstream trickling bytes cannot hold the request thread past the deadline.
    Avatar a;
    a.contentType = type;
    char buf[16384];
    while (in) {
      auto left = remaining();
      if (left <= 0) return failure("upstream too slow (deadline " + std::to_string(timeout_.count()) + " ms)");
      session->socket().setReceiveTimeout(Poco::Timespan(left));
      in.read(buf, sizeof buf);
      a.bytes.append(buf, static_cast<size_t>(in.gcount()));
      if (a.bytes.size() > kMaxImageBytes)
        return failure("upstream image larger than " + std::to_string(kMaxImageBytes) + " bytes");
    }
    if (resp.hasContentLength() && static_cast<Poco::Int64>(a.bytes.size()) != resp.getContentLength64())
      return failure("upstream closed the connection early");
    Poco::MD5Engine md5;
    md5.update(a.bytes);
    a.etag = "\"" + Poco::DigestEngine::digestToHex(md5.digest()) + "\"";
    a.ok = true;
    return a;
  } catch (const Poco::TimeoutException&) {
    return failure("upstream timed out after " + std::to_string(timeout_.count()) + " ms");
  } catch (const Poco::Exception& e) {
    return failure(e.displayText());
  } catch (const std::exception& e) {
    return failure(e.what());
  }
}

}  // namespace codestats::web
