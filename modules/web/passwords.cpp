#include "passwords.hpp"

#include <crypt.h>
#include <sodium.h>

#include <semaphore>
#include <stdexcept>
#include <string>

namespace codestats::web {
namespace {

// INTERACTIVE limits: 64 MiB, 2 passes, about 60 ms on the build machine (toolchain.md).
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

// Each argon2id computation takes 64 MiB for ~60 ms: at most four at once bounds a login
// flood to 256 MiB instead of 64 MiB per HTTP thread; the rest wait their turn.
std::counting_semaphore<4>& hashSlots() {
  static std::counting_semaphore<4> slots(4);
  return slots;
}
struct HashSlot {
  HashSlot() { hashSlots().acquire(); }
  ~HashSlot() { hashSlots().release(); }
  HashSlot(const HashSlot&) = delete;
  HashSlot& operator=(const HashSlot&) = delete;
};

bool isBcrypt(std::string_view h) {
  return h.size() == 60 && (h.substr(0, 4) == "$2a$" || h.substr(0, 4) == "$2b$" || h.substr(0, 4) == "$2y$");
}

void ensureSodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace

std::string hashPassword(std::string_view password) {
  ensureSodium();
  char out[crypto_pwhash_STRBYTES];
  HashSlot slot;
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0)
    throw std::runtime_error("password hashing ran out of memory");
  return out;
}

bool verifyPassword(std::string_view password, std::string_view hash) {
  ensureSodium();
  std::string h(hash);
  if (h.rfind("$argon2id$", 0) == 0) {
    HashSlot slot;
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
  }
  if (isBcrypt(h)) {
    std::string pw(password);
    if (pw.find('\0') != std::string::npos) return false;
    crypt_data data{};
    const char* got = crypt_r(pw.c_str(), h.c_str(), &data);
    if (!got || got[0] == '*') return false;
    std::string_view g(got);
    return g.size() == h.size() && sodium_memcmp(g.data(), h.data(), h.size()) == 0;
  }
  return false;
}

bool needsRehash(std::string_view hash) {
  ensureSodium();
  std::string h(hash);
  if (h.rfind("$argon2id$", 0) != 0) return true;
  return crypto_pwhash_str_needs_rehash(h.c_str(), kOpsLimit, kMemLimit) != 0;
}

void dummyVerify(std::string_view password) {
  // A fixed hash made once per process with the current parameters.
  static const std::string kDummy = hashPassword("codestats dummy password");
  (void)verifyPassword(password, kDummy);
}

}  // namespace codestats::web
