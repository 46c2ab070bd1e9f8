#include "gravatar.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>

#include "common/ascii.hpp"

namespace codestats::web {

std::string gravatarHash(std::string_view email) {
  std::string normal = common::lowerAscii(common::trimAsciiSpace(email));
  Poco::MD5Engine md5;
  md5.update(normal);
  return Poco::DigestEngine::digestToHex(md5.digest());
}

std::string gravatarPath(const std::string& hash) {
  // The original's configuration (spec §13.2): retro identicons, rated g, 200 px.
  return "/avatar/" + hash + "?default=retro&rating=g&size=200";
}

}  // namespace codestats::web
