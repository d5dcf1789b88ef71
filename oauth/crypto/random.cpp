#include "oauth/crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

#include "oauth/crypto/encoding.h"
#include "oauth/crypto/openssl_error.h"

namespace mes::oauth {

Result<std::string> randomBytes(size_t n) {
  if (n > kMaxRandomBytes) return Error::internal("randomBytes: request larger than the limit");
  std::string out(n, '\0');
  if (n == 0) return out;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Error::internal(crypto_detail::takeOpensslErrors("RAND_bytes failed"));
  }
  return out;
}

Result<std::string> randomToken(size_t bytes) {
  if (bytes < 16 || bytes > 1024) return Error::internal("randomToken: size outside [16, 1024]");
  Result<std::string> raw = randomBytes(bytes);
  if (!raw) return raw.takeError();
  std::string token = base64UrlEncode(*raw);
  OPENSSL_cleanse(raw->data(), raw->size());
  return token;
}

Result<uint64_t> randomBelow(uint64_t bound) {
  if (bound == 0) return Error::internal("randomBelow: bound must be at least 1");
  // Values below `threshold` would make some results more likely than others: 2^64 mod bound.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    Result<std::string> raw = randomBytes(sizeof(uint64_t));
    if (!raw) return raw.takeError();
    uint64_t v = 0;
    std::memcpy(&v, raw->data(), sizeof v);
    if (v >= threshold) return v % bound;
  }
}

}  // namespace mes::oauth
