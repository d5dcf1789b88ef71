#include "oauth/crypto/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>

#include "oauth/crypto/openssl_error.h"

namespace mes::oauth {
namespace {

std::string digest(const EVP_MD* md, std::string_view bytes, const char* what) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr) != 1) {
    crypto_detail::opensslFatal(what);
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string sha256(std::string_view bytes) {
  return digest(EVP_sha256(), bytes, "SHA-256");
}

std::string sha1(std::string_view bytes) {
  return digest(EVP_sha1(), bytes, "SHA-1");
}

std::string hmacSha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const unsigned char kEmpty = 0;
  // HMAC() treats a null key as "reuse the previous key"; pass a valid pointer for empty keys.
  const void* keyData = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (key.size() > static_cast<size_t>(INT32_MAX) ||
      HMAC(EVP_sha256(), keyData, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
           &len) == nullptr) {
    crypto_detail::opensslFatal("HMAC-SHA-256");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void secureWipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace mes::oauth
