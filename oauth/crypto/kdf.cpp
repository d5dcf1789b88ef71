#include "oauth/crypto/kdf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "oauth/crypto/openssl_error.h"

namespace mes::oauth {

Result<std::string> scrypt(std::string_view password, std::string_view salt, const ScryptCost& cost,
                           size_t length, uint64_t maxMemoryBytes) {
  if (length == 0 || length > 1024)
    return Error::internal("scrypt: output length outside [1, 1024]");
  std::string out(length, '\0');
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), cost.n,
                     cost.r, cost.p, maxMemoryBytes, reinterpret_cast<unsigned char*>(out.data()),
                     out.size()) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return Error::internal(crypto_detail::takeOpensslErrors("scrypt derivation failed"));
  }
  return out;
}

}  // namespace mes::oauth
