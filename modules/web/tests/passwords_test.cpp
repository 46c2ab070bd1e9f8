// argon2id hashing, bcrypt verification of imported hashes, rehash decisions.
#include <catch2/catch.hpp>

#include <crypt.h>

#include "passwords.hpp"

using namespace codestats::web;

TEST_CASE("argon2id hashes verify and need no rehash", "[web][passwords]") {
  std::string h = hashPassword("correct horse");
  CHECK(h.rfind("$argon2id$", 0) == 0);
  CHECK(verifyPassword("correct horse", h));
  CHECK_FALSE(verifyPassword("correct horsf", h));
  CHECK_FALSE(needsRehash(h));
}

TEST_CASE("bcrypt $2b$ hashes from an original instance verify and need a rehash", "[web][passwords]") {
  // A cost-4 bcrypt hash made here with libxcrypt, as the original's bcrypt_elixir would.
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, setting, sizeof setting));
  crypt_data data{};
  std::string h = crypt_r("hunter22", setting, &data);
  REQUIRE(h.rfind("$2b$04$", 0) == 0);
  CHECK(verifyPassword("hunter22", h));
  CHECK_FALSE(verifyPassword("hunter23", h));
  CHECK(needsRehash(h));
}

TEST_CASE("anything else never verifies", "[web][passwords]") {
  CHECK_FALSE(verifyPassword("x", ""));
  CHECK_FALSE(verifyPassword("x", "x"));
  CHECK_FALSE(verifyPassword("x", "$1$abc$def"));
}
