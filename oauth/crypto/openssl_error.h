// Internal to oauth/crypto: OpenSSL's per-thread error queue as plain text.
#pragma once

#include <string>

namespace mes::oauth::crypto_detail {

// Drains the calling thread's OpenSSL error queue and returns it as one line prefixed by
// `what` (for Error::detail; OpenSSL error strings never contain key material). Always call it
// after a failed OpenSSL call so that stale errors do not leak into a later operation.
std::string takeOpensslErrors(const char* what);

// Terminates the process after writing `what` and the OpenSSL error queue to stderr. Used
// only where a working OpenSSL cannot fail (a digest over memory): returning a wrong value
// there would be worse than stopping.
[[noreturn]] void opensslFatal(const char* what);

}  // namespace mes::oauth::crypto_detail
