#include "oauth/crypto/openssl_error.h"

#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>

namespace mes::oauth::crypto_detail {

std::string takeOpensslErrors(const char* what) {
  std::string out = what;
  char buf[256];
  unsigned long code = 0;
  bool first = true;
  while ((code = ERR_get_error()) != 0) {
    ERR_error_string_n(code, buf, sizeof buf);
    out += first ? ": " : "; ";
    out += buf;
    first = false;
  }
  return out;
}

void opensslFatal(const char* what) {
  std::string text = takeOpensslErrors(what);
  std::fprintf(stderr, "fatal: OpenSSL failure: %s\n", text.c_str());
  std::abort();
}

}  // namespace mes::oauth::crypto_detail
