#include "ast.hpp"

namespace codestats::graphql {

std::string TypeRef::toString() const {
  std::string out = named;
  for (auto it = wrappers.rbegin(); it != wrappers.rend(); ++it) out = *it == 'L' ? "[" + out + "]" : out + "!";
  return out;
}

}  // namespace codestats::graphql
