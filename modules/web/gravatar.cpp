#include "gravatar.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>

namespace codestats::web {

std::string gravatarHash(std::string_view email) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!email.empty() && space(email.front())) email.remove_prefix(1);
  while (!email.empty() && space(email.back())) email.remove_suffix(1);
  std::string normal(email);
  for (char& c : normal)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  Poco::MD5Engine md5;
  md5.update(normal);
  return Poco::DigestEngine::digestToHex(md5.digest());
}

std::string gravatarPath(const std::string& hash) {
  // The original's configuration (spec §13.2): retro identicons, rated g, 200 px.
  return "/avatar/" + hash + "?default=retro&rating=g&size=200";
}

}  // namespace codestats::web
